#include "rest/scheduled_transport.hpp"

#include "rest/borrowed_transport.hpp"
#include "rest/http_pool.hpp"
#include "wire/url.hpp"

#include <streamchat/shared_http_pool.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace streamchat::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

struct scheduled_transport::pending {
    // Constructed with its handler: Boost 1.81's any_completion_handler move-assignment recurses
    // without end.
    explicit pending(asio::any_completion_handler<void(error_code, http_response)> h) : handler(std::move(h)) {}

    endpoint_key endpoint;
    http_request request;
    asio::any_completion_handler<void(error_code, http_response)> handler;
    asio::cancellation_slot slot;
    clock::time_point sent{};
    int attempts = 0;    // attempts of earlier dispatches (429s), added to the final answer's
    bool in_flight = false;
};

scheduled_transport::scheduled_transport(asio::any_io_executor ex, std::shared_ptr<transport> inner,
                                         scheduler_config cfg, const http_config& rate_limits,
                                         std::size_t trace_capacity)
    : ex_(std::move(ex)),
      inner_(std::move(inner)),
      core_(cfg, trace_capacity),
      retry_429_(rate_limits.retry_rate_limited && rate_limits.max_retries > 0),
      max_wait_(rate_limits.max_rate_limit_wait),
      timer_(ex_)
{
}

scheduled_transport::~scheduled_transport() = default;

void scheduled_transport::async_send(endpoint_key endpoint, http_request request,
                                     asio::any_completion_handler<void(error_code, http_response)> handler)
{
    if (shut_) {
        asio::post(ex_, asio::append(std::move(handler), error_code(error::shut_down), http_response{}));
        return;
    }
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto p = std::make_unique<pending>(std::move(handler));
    p->endpoint = endpoint;
    p->request = std::move(request);
    p->slot = slot;
    const auto t = core_.enqueue(endpoint.name, endpoint.priority, clock::now());
    auto& queued = *pending_.emplace(t, std::move(p)).first->second;
    guard_queued(queued, t);
    pump();
}

void scheduled_transport::guard_queued(pending& p, request_scheduler::ticket t)
{
    // While queued, cancelling takes the request out of the queue; once dispatched, the slot
    // belongs to the inner transport, which aborts the exchange.
    if (!p.slot.is_connected()) return;
    p.slot.assign([w = weak_from_this(), t](asio::cancellation_type type) {
        if (type == asio::cancellation_type::none) return;
        auto self = w.lock();
        if (!self) return;
        auto it = self->pending_.find(t);
        if (it == self->pending_.end() || it->second->in_flight) return;
        self->core_.cancel(t);
        self->finish(t, asio::error::operation_aborted, {});
    });
}

void scheduled_transport::pump()
{
    if (pumping_ || shut_) return; // re-entered from a completion: the outer loop carries on
    pumping_ = true;
    for (;;) {
        auto s = core_.next(clock::now());
        if (!s.dispatch) {
            if (s.wake) arm(*s.wake);
            break;
        }
        auto it = pending_.find(*s.dispatch);
        if (it == pending_.end()) {
            core_.abandon(*s.dispatch);
            continue;
        }
        pending& p = *it->second;
        p.in_flight = true;
        p.sent = clock::now();
        if (p.slot.is_connected()) p.slot.clear();
        auto t = *s.dispatch;
        inner_->async_send(p.endpoint, p.request,
                           asio::bind_cancellation_slot(
                               p.slot, [self = shared_from_this(), t](error_code ec, http_response r) mutable {
                                   self->on_answer(t, ec, std::move(r));
                               }));
    }
    pumping_ = false;
}

void scheduled_transport::arm(clock::time_point at)
{
    if (at >= timer_at_) return; // already armed early enough
    timer_at_ = at;
    timer_.expires_at(at);
    timer_.async_wait([w = weak_from_this(), at](error_code ec) {
        auto self = w.lock();
        if (!self || self->shut_) return;
        if (self->timer_at_ == at) self->timer_at_ = clock::time_point::max();
        if (ec) return; // re-armed earlier: that wait pumps
        self->pump();
    });
}

void scheduled_transport::on_answer(request_scheduler::ticket t, error_code ec, http_response r)
{
    auto it = pending_.find(t);
    if (it == pending_.end()) {
        core_.abandon(t);
        return;
    }
    pending& p = *it->second;
    p.in_flight = false;
    const auto now = clock::now();
    if (observer_) observer_(p.endpoint, p.sent, ec, r);
    if (ec || shut_) {
        core_.abandon(t);
        finish(t, ec ? ec : error_code(error::shut_down), std::move(r));
        pump();
        return;
    }
    rate_answer a;
    a.status = r.status;
    a.limit = r.rate_limit.limit;
    a.remaining = r.rate_limit.remaining;
    if (r.rate_limit.reset) a.reset_in = *r.rate_limit.reset - std::chrono::system_clock::now();
    if (r.rate_limit.retry_after) a.retry_after = *r.rate_limit.retry_after;
    bool may_retry = retry_429_;
    if (r.status == 429) {
        const auto wait = a.retry_after ? *a.retry_after : a.reset_in ? *a.reset_in : clock::duration::zero();
        if (wait > max_wait_) may_retry = false; // the caller may rather reschedule than stall
    }
    if (core_.complete(t, a, now, may_retry)) {
        p.attempts += std::max(r.attempts, 1);
        guard_queued(p, t);
        pump();
        return;
    }
    finish(t, {}, std::move(r));
    pump();
}

void scheduled_transport::finish(request_scheduler::ticket t, error_code ec, http_response r)
{
    auto it = pending_.find(t);
    if (it == pending_.end()) return;
    auto p = std::move(it->second);
    pending_.erase(it);
    if (p->slot.is_connected()) p->slot.clear();
    r.attempts += p->attempts;
    auto h = std::move(p->handler);
    asio::post(ex_, asio::append(std::move(h), ec, std::move(r)));
}

void scheduled_transport::shutdown()
{
    if (shut_) return;
    shut_ = true;
    timer_.cancel();
    std::vector<request_scheduler::ticket> queued;
    for (auto& [t, p] : pending_)
        if (!p->in_flight) queued.push_back(t);
    for (auto t : queued) {
        core_.cancel(t);
        finish(t, error::shut_down, {});
    }
    if (inner_) inner_->shutdown(); // completes what is in flight with shut_down
}

std::shared_ptr<transport> make_api_transport(asio::any_io_executor ex, const client_config& cfg,
                                              asio::ssl::context* tls, std::string& why,
                                              std::shared_ptr<scheduled_transport>* scheduler)
{
    std::shared_ptr<transport> net;
    if (cfg.http_pool) {
        // Connections shared with other clients; this client's calls only (its own shutdown).
        net = std::make_shared<borrowed_transport>(cfg.http_pool->detail_pool());
    } else {
        auto url = parse_base_url(cfg.base_url, why);
        if (!url) {
            if (why.empty()) why = "base_url is invalid";
            return nullptr;
        }
        http_config pool_cfg = cfg.http;
        // Behind the scheduler the pool does not wait out a 429 holding a connection: the
        // scheduler parks the endpoint instead.
        if (cfg.scheduler.enabled) pool_cfg.retry_rate_limited = false;
        net = std::make_shared<http_pool>(ex, std::move(*url), pool_cfg, tls);
    }
    why.clear();
    if (!cfg.scheduler.enabled) return net;
    auto s = std::make_shared<scheduled_transport>(ex, std::move(net), cfg.scheduler, cfg.http);
    if (scheduler) *scheduler = s;
    return s;
}

} // namespace streamchat::detail
