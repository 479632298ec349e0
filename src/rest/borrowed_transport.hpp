#ifndef STREAMCHAT_SRC_REST_BORROWED_TRANSPORT_HPP
#define STREAMCHAT_SRC_REST_BORROWED_TRANSPORT_HPP

// One client's view of a pool it shares with others (shared_http_pool): calls go to the pool,
// but shutdown() ends only this client's calls (at once, with error::shut_down) and leaves the
// pool and the other clients' calls alone. A call's answer that arrives after that is dropped.
// Single-threaded, on the pool's executor.

#include "rest/http_pool.hpp"
#include "rest/transport.hpp"

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace streamchat::detail {

class borrowed_transport final : public transport, public std::enable_shared_from_this<borrowed_transport> {
public:
    explicit borrowed_transport(std::shared_ptr<http_pool> pool) : pool_(std::move(pool)) {}

    void async_send(endpoint_key endpoint, http_request request,
                    boost::asio::any_completion_handler<void(error_code, http_response)> handler) override;
    void shutdown() override;

private:
    using handler_type = boost::asio::any_completion_handler<void(error_code, http_response)>;
    std::shared_ptr<http_pool> pool_;
    std::unordered_map<std::uint64_t, handler_type> pending_;
    std::uint64_t next_ = 0;
    bool shut_ = false;
};

} // namespace streamchat::detail

#endif
