#ifndef STREAMCHAT_SRC_REST_SCHEDULED_TRANSPORT_HPP
#define STREAMCHAT_SRC_REST_SCHEDULED_TRANSPORT_HPP

// A transport that queues requests by lane and sends them through another transport (the
// keep-alive pool) when `request_scheduler` says they may go. 429s come back here, not to a
// sleeping connection: the endpoint's budget is corrected and the request queued again.

#include "rest/scheduler.hpp"
#include "rest/transport.hpp"

#include <streamchat/config.hpp>
#include <streamchat/http_config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <unordered_map>

namespace boost::asio::ssl { class context; }

namespace streamchat::detail {

/// Told about every answer (metrics): endpoint, lane, when it was handed to the transport.
using request_observer = std::function<void(const endpoint_key&, std::chrono::steady_clock::time_point sent,
                                            error_code, const http_response&)>;

class scheduled_transport final : public transport, public std::enable_shared_from_this<scheduled_transport> {
public:
    /// `rate_limits` supplies whether, and how long, a 429 may be waited for
    /// (`retry_rate_limited`, `max_rate_limit_wait`); `inner` should not retry 429s itself.
    scheduled_transport(boost::asio::any_io_executor ex, std::shared_ptr<transport> inner, scheduler_config cfg,
                        const http_config& rate_limits, std::size_t trace_capacity = 0);
    ~scheduled_transport() override;

    void async_send(endpoint_key endpoint, http_request request,
                    boost::asio::any_completion_handler<void(error_code, http_response)> handler) override;
    void shutdown() override;

    const request_scheduler& scheduler() const noexcept { return core_; }
    void set_observer(request_observer o) { observer_ = std::move(o); }

private:
    struct pending;
    void guard_queued(pending& p, request_scheduler::ticket t);
    void pump();
    void arm(std::chrono::steady_clock::time_point at);
    void finish(request_scheduler::ticket t, error_code ec, http_response r);
    void on_answer(request_scheduler::ticket t, error_code ec, http_response r);

    boost::asio::any_io_executor ex_;
    std::shared_ptr<transport> inner_;
    request_scheduler core_;
    bool retry_429_;
    std::chrono::steady_clock::duration max_wait_;
    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point timer_at_ = std::chrono::steady_clock::time_point::max();
    std::unordered_map<request_scheduler::ticket, std::unique_ptr<pending>> pending_;
    request_observer observer_;
    bool pumping_ = false;
    bool shut_ = false;
};

/// The transport of a client's REST calls: a keep-alive pool to `cfg.base_url`, behind a
/// scheduler when `cfg.scheduler.enabled` (then the pool hands 429s back instead of waiting).
/// Null with `why` set when the URL is invalid. `scheduler`, when given, receives the scheduler.
std::shared_ptr<transport> make_api_transport(boost::asio::any_io_executor ex, const client_config& cfg,
                                              boost::asio::ssl::context* tls, std::string& why,
                                              std::shared_ptr<scheduled_transport>* scheduler = nullptr);

} // namespace streamchat::detail

#endif
