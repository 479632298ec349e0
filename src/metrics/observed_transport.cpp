#include "metrics/observed_transport.hpp"

#include "metrics/collector.hpp"
#include "rest/scheduled_transport.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>

#include <string>

namespace streamchat::detail {

namespace asio = boost::asio;

observed_transport::observed_transport(asio::any_io_executor ex, std::shared_ptr<transport> inner,
                                       std::shared_ptr<metrics_collector> sink)
    : ex_(std::move(ex)), inner_(std::move(inner)), sink_(std::move(sink))
{
}

void observed_transport::async_send(endpoint_key endpoint, http_request request,
                                    asio::any_completion_handler<void(error_code, http_response)> handler)
{
    const auto sent = std::chrono::steady_clock::now();
    // The pool cancels through the handler's slot and completes on its executor: keep both.
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto hex = asio::get_associated_executor(handler, ex_);
    inner_->async_send(
        endpoint, std::move(request),
        asio::bind_cancellation_slot(
            slot, asio::bind_executor(hex, [sink = sink_, name = endpoint.name, sent,
                                            h = std::move(handler)](error_code ec, http_response r) mutable {
                sink->on_response(name, sent, r, ec);
                std::move(h)(ec, std::move(r));
            })));
}

void observed_transport::shutdown()
{
    inner_->shutdown();
}

std::shared_ptr<transport> make_observed_api_transport(asio::any_io_executor ex, const client_config& cfg,
                                                       std::shared_ptr<metrics_collector> sink)
{
    std::string why;
    std::shared_ptr<scheduled_transport> scheduler;
    auto net = make_api_transport(ex, cfg, nullptr, why, &scheduler);
    if (!net) return nullptr;
    if (scheduler) {
        scheduler->set_observer([sink](const endpoint_key& k, std::chrono::steady_clock::time_point sent, error_code ec,
                                       const http_response& r) { sink->on_response(k.name, sent, r, ec); });
        return net;
    }
    return std::make_shared<observed_transport>(std::move(ex), std::move(net), std::move(sink));
}

} // namespace streamchat::detail
