#ifndef STREAMCHAT_SRC_METRICS_OBSERVED_TRANSPORT_HPP
#define STREAMCHAT_SRC_METRICS_OBSERVED_TRANSPORT_HPP

// The transport of a client's REST calls with its answers reported to the client's metrics: the
// scheduler's own observer when there is a scheduler (it sees every answer, 429s it re-queues
// included), else a thin decorator around the pool.

#include "rest/transport.hpp"

#include <streamchat/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace streamchat::detail {

class metrics_collector;

/// Forwards every request to `inner` and reports its completion to `sink` (endpoint, the time
/// the request was handed over, the response or the error). Keeps the handler's executor and
/// cancellation slot.
class observed_transport final : public transport {
public:
    observed_transport(boost::asio::any_io_executor ex, std::shared_ptr<transport> inner,
                       std::shared_ptr<metrics_collector> sink);

    void async_send(endpoint_key endpoint, http_request request,
                    boost::asio::any_completion_handler<void(error_code, http_response)> handler) override;
    void shutdown() override;

private:
    boost::asio::any_io_executor ex_;
    std::shared_ptr<transport> inner_;
    std::shared_ptr<metrics_collector> sink_;
};

/// `make_api_transport` (the pool, behind the scheduler when `cfg.scheduler.enabled`) with its
/// answers reported to `sink`. Null when `cfg.base_url` is invalid (the REST client then reports
/// why on every call).
std::shared_ptr<transport> make_observed_api_transport(boost::asio::any_io_executor ex, const client_config& cfg,
                                                       std::shared_ptr<metrics_collector> sink);

} // namespace streamchat::detail

#endif
