// rest_client: the typed calls. Each one encodes and validates its request (rest/requests), sends
// it through the one `exchange` path (envelope, token refresh on code 40, over a `transport`),
// and decodes the answer into its response type.

#include <streamchat/rest_client.hpp>

#include "auth/token_refresher.hpp"
#include "model/codec.hpp"
#include "rest/envelope.hpp"
#include "rest/scheduled_transport.hpp"
#include "rest/requests.hpp"
#include "wire/url.hpp"
#include "wire/uuid.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <exception>
#include <tuple>

namespace streamchat {

namespace asio = boost::asio;
namespace json = boost::json;

namespace detail {

/// Shared state of a client; operations hold a shared_ptr so destroying the client while they
/// run is safe (they complete with error::shut_down from the transport).
struct rest_client_impl {
    asio::any_io_executor ex;
    client_config cfg;
    std::string url_error;               // non-empty: base_url was rejected; every call fails
    std::shared_ptr<transport> net;
    std::shared_ptr<token_refresher> auth;
    std::string connection_id;
    bool shut = false;

    rest_client_impl(asio::any_io_executor e, client_config c, asio::ssl::context* tls,
                     std::shared_ptr<transport> given, std::shared_ptr<token_refresher> refresher)
        : ex(std::move(e)), cfg(std::move(c)), net(std::move(given)), auth(std::move(refresher))
    {
        if (!auth) auth = std::make_shared<token_refresher>(ex, cfg.token, cfg.token_source);
        if (net) return;
        net = make_api_transport(ex, cfg, tls, url_error);
    }
};

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

struct exchange_result {
    error_code ec;
    json::object body;             // the parsed 2xx body
};

diagnostics& pick(diagnostics* given, diagnostics& local) { return given ? *given : local; }

error_code fail(diagnostics& d, error_code ec, std::string why)
{
    d.client_message = std::move(why);
    return ec;
}

asio::awaitable<std::tuple<error_code, http_response>> send(transport& net, endpoint_key ep, http_request req)
{
    co_return co_await asio::async_initiate<decltype(nothrow), void(error_code, http_response)>(
        [&net, ep](auto handler, http_request r) {
            net.async_send(ep, std::move(r),
                           asio::any_completion_handler<void(error_code, http_response)>(std::move(handler)));
        },
        nothrow, std::move(req));
}

/// Sends `call` with Stream's envelope and reads the answer. Refreshes the token on code 40.
asio::awaitable<exchange_result> exchange_once(std::shared_ptr<rest_client_impl> self, const api_call& call,
                                               diagnostics& diag)
{
    exchange_result out;
    if (self->shut) {
        out.ec = error::shut_down;
        co_return out;
    }
    if (!self->net) {
        out.ec = fail(diag, error::invalid_url, self->url_error);
        co_return out;
    }

    const std::string request_id = make_uuid_v4();
    diag.client_request_id = request_id;
    const std::string body_text = call.body ? json::serialize(*call.body) : std::string{};
    const bool jwt = self->cfg.auth == auth_type::jwt;
    int refreshes = 0;

    for (;;) {
        if (jwt && self->auth->token().empty()) {
            if (!self->auth->has_provider()) {
                out.ec = fail(diag, error::no_token_provider, "client_config has neither a token nor a token_source");
                co_return out;
            }
            auto [rec] = co_await self->auth->async_refresh(nothrow);
            if (rec) {
                out.ec = fail(diag, rec, "the token provider failed: " + rec.message());
                co_return out;
            }
        }
        const std::uint64_t generation = self->auth->generation();
        http_request req = make_request(call, body_text,
                                        {self->cfg.api_key, self->cfg.user_id, self->connection_id, self->cfg.auth,
                                         self->auth->token(), request_id});

        auto [ec, resp] = co_await send(*self->net, call.endpoint, std::move(req));
        diag.attempts += resp.attempts;
        diag.http_status = resp.status;
        diag.rate_limit = resp.rate_limit;
        if (ec) {
            out.ec = ec;
            if (diag.client_message.empty()) diag.client_message = ec.message();
            co_return out;
        }
        out.ec = read_response(resp, out.body, diag);

        if (is_token_expired(out.ec) && self->auth->has_provider() && refreshes < self->cfg.max_token_refreshes) {
            ++refreshes;
            // Another request (or the WebSocket) may have refreshed already while this one flew.
            if (self->auth->generation() == generation) {
                auto [rec] = co_await self->auth->async_refresh(nothrow);
                if (rec) {
                    out.ec = fail(diag, rec, "the token provider failed: " + rec.message());
                    co_return out;
                }
            }
            diag.server.reset();
            diag.client_message.clear();
            out.ec = {};
            continue;
        }
        co_return out;
    }
}

/// `exchange_once`, plus the duplicate rule: when a resend of a create with a client-chosen id is
/// refused as "already exists", our earlier attempt landed; fetch what it stored instead.
asio::awaitable<exchange_result> exchange(std::shared_ptr<rest_client_impl> self, api_call call, diagnostics& diag)
{
    auto r = co_await exchange_once(self, call, diag);
    if (!call.fetch_on_duplicate.empty() && diag.attempts > 1 && is_duplicate_refusal(r.ec, diag)) {
        const int earlier = diag.attempts;
        diag.clear();
        api_call fetch;
        fetch.endpoint = {"get_message"};
        fetch.method = http_verb::get;
        fetch.path = call.fetch_on_duplicate;
        fetch.idempotent = true;
        r = co_await exchange_once(self, fetch, diag);
        diag.attempts += earlier;
    }
    co_return r;
}

/// Runs `op` (an awaitable producing tuple<error_code, R>) and completes `handler`, keeping the
/// handler's executor and cancellation slot.
template <class R, class Op>
void launch(const std::shared_ptr<rest_client_impl>& self, Op op,
            asio::any_completion_handler<void(error_code, R)> handler)
{
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto hex = asio::get_associated_executor(handler, self->ex);
    asio::co_spawn(self->ex, std::move(op),
                   asio::bind_cancellation_slot(
                       slot, asio::bind_executor(hex, [h = std::move(handler)](std::exception_ptr ep,
                                                                                 std::tuple<error_code, R> r) mutable {
                           if (ep) {
                               // Nothing in the operation throws by design; what can is a cancellation
                               // observed by the coroutine machinery, or memory exhaustion.
                               error_code ec = make_error_code(boost::system::errc::not_enough_memory);
                               try {
                                   std::rethrow_exception(ep);
                               } catch (const boost::system::system_error& e) {
                                   ec = e.code();
                               } catch (...) {
                               }
                               std::move(h)(ec, R{});
                               return;
                           }
                           std::move(h)(std::get<0>(r), std::move(std::get<1>(r)));
                       })));
}

template <class T>
error_code decode_member(json::object& body, std::string_view key, T& out, diagnostics& diag, bool required = true)
{
    decode_context ctx;
    auto scope = ctx.enter(key);
    const json::value* v = body.if_contains(key);
    if (!v) {
        if (!required) return {};
        diag.client_message = std::string(key) + ": missing required field";
        return error::missing_field;
    }
    if (auto ec = decode(*v, out, ctx)) {
        diag.client_message = ctx.message();
        return ec;
    }
    return {};
}

std::string take_duration(const json::object& body)
{
    if (auto* d = body.if_contains("duration"); d && d->is_string()) return std::string(d->get_string());
    return {};
}

/// A decoder storing body[key] into `out.*member`, plus `duration`.
template <class R, class T>
auto field_decoder(std::string_view key, T R::*member, bool required = true)
{
    return [key, member, required](json::object& body, R& out, diagnostics& dg) -> error_code {
        out.duration = take_duration(body);
        return decode_member(body, key, out.*member, dg, required);
    };
}

/// The one path every typed call takes: refuse invalid input without sending, else exchange
/// the call and decode the body with `decode(body, out, diag)`.
template <class R, class Decode>
void submit(const std::shared_ptr<rest_client_impl>& self, encoded_call enc, request_options opts,
            asio::any_completion_handler<void(error_code, R)> handler, Decode decode)
{
    diagnostics* d = opts.diag;
    enc.call.endpoint.priority = opts.priority;
    if (d) d->clear();
    if (enc.ec) {
        if (d) d->client_message = std::move(enc.why);
        asio::post(self->ex, asio::append(std::move(handler), enc.ec, R{}));
        return;
    }
    launch<R>(
        self,
        [self, call = std::move(enc.call), d, decode = std::move(decode)]() mutable
        -> asio::awaitable<std::tuple<error_code, R>> {
            diagnostics local;
            diagnostics& dg = pick(d, local);
            auto r = co_await exchange(self, std::move(call), dg);
            R out{};
            if (!r.ec) r.ec = decode(r.body, out, dg);
            co_return std::tuple{r.ec, std::move(out)};
        },
        std::move(handler));
}

bool connected(const rest_client_impl& impl) { return !impl.connection_id.empty(); }

} // namespace
} // namespace detail

using namespace detail;

// ------------------------------------------------------------------ construction

rest_client::rest_client(executor_type ex, client_config config)
    : impl_(std::make_shared<rest_client_impl>(std::move(ex), std::move(config), nullptr, nullptr, nullptr))
{
}

rest_client::rest_client(executor_type ex, asio::ssl::context& tls, client_config config)
    : impl_(std::make_shared<rest_client_impl>(std::move(ex), std::move(config), &tls, nullptr, nullptr))
{
}

rest_client::rest_client(executor_type ex, client_config config, std::shared_ptr<detail::transport> net,
                         std::shared_ptr<detail::token_refresher> auth)
    : impl_(std::make_shared<rest_client_impl>(std::move(ex), std::move(config), nullptr, std::move(net),
                                               std::move(auth)))
{
}

rest_client::~rest_client()
{
    shutdown();
}

rest_client::executor_type rest_client::get_executor() const noexcept { return impl_->ex; }
const client_config& rest_client::config() const noexcept { return impl_->cfg; }
void rest_client::set_connection_id(std::string id) { impl_->connection_id = std::move(id); }
const std::string& rest_client::connection_id() const noexcept { return impl_->connection_id; }
void rest_client::set_token(std::string token) { impl_->auth->set(std::move(token)); }

void rest_client::shutdown()
{
    impl_->shut = true;
    if (impl_->net) impl_->net->shutdown();
}

// ------------------------------------------------------------------ the calls

void rest_client::query_channels_impl(query_channels_request req, request_options d,
                                      handler_t<query_channels_response> handler)
{
    submit(impl_, encode_query_channels(req, connected(*impl_)), d, std::move(handler),
           field_decoder("channels", &query_channels_response::channels));
}

void rest_client::query_channel_impl(query_channel_request req, request_options d, handler_t<channel_state> handler)
{
    submit(impl_, encode_query_channel(req, connected(*impl_)), d, std::move(handler),
           [](json::object& b, channel_state& out, diagnostics& dg) -> error_code {
               b.erase("duration");
               decode_context ctx;
               error_code ec = decode(json::value(std::move(b)), out, ctx);
               if (ec) dg.client_message = ctx.message();
               return ec;
           });
}

void rest_client::stop_watching_impl(channel_ref ref, request_options d, handler_t<empty_response> handler)
{
    submit(impl_, encode_stop_watching(ref), d, std::move(handler),
           [](json::object& b, empty_response& out, diagnostics&) -> error_code {
               out.duration = take_duration(b);
               return {};
           });
}

void rest_client::send_message_impl(send_message_request req, request_options d, handler_t<message_response> handler)
{
    submit(impl_, encode_send_message(req), d, std::move(handler), field_decoder("message", &message_response::message));
}

void rest_client::get_message_impl(std::string id, request_options d, handler_t<message_response> handler)
{
    submit(impl_, encode_get_message(id), d, std::move(handler), field_decoder("message", &message_response::message));
}

void rest_client::update_message_impl(update_message_request req, request_options d,
                                      handler_t<message_response> handler)
{
    submit(impl_, encode_update_message(req), d, std::move(handler),
           field_decoder("message", &message_response::message));
}

void rest_client::delete_message_impl(delete_message_request req, request_options d,
                                      handler_t<message_response> handler)
{
    submit(impl_, encode_delete_message(req), d, std::move(handler),
           field_decoder("message", &message_response::message));
}

void rest_client::mark_read_impl(mark_read_request req, request_options d, handler_t<event_response> handler)
{
    submit(impl_, encode_mark_read(req), d, std::move(handler), field_decoder("event", &event_response::event));
}

void rest_client::send_event_impl(send_event_request req, request_options d, handler_t<event_response> handler)
{
    submit(impl_, encode_send_event(req), d, std::move(handler), field_decoder("event", &event_response::event));
}

void rest_client::query_users_impl(query_users_request req, request_options d, handler_t<query_users_response> handler)
{
    submit(impl_, encode_query_users(req, connected(*impl_)), d, std::move(handler),
           field_decoder("users", &query_users_response::users));
}

void rest_client::upsert_users_impl(std::vector<user_input> users, request_options d, handler_t<users_response> handler)
{
    submit(impl_, encode_upsert_users(users), d, std::move(handler), field_decoder("users", &users_response::users));
}

void rest_client::partial_update_users_impl(std::vector<user_partial_update> updates, request_options d,
                                            handler_t<users_response> handler)
{
    submit(impl_, encode_partial_update_users(updates), d, std::move(handler),
           field_decoder("users", &users_response::users));
}

void rest_client::sync_impl(sync_request req, request_options d, handler_t<sync_response> handler)
{
    submit(impl_, encode_sync(req, std::chrono::system_clock::now()), d, std::move(handler),
           [](json::object& b, sync_response& out, diagnostics& dg) -> error_code {
               out.duration = take_duration(b);
               if (auto ec = decode_member(b, "events", out.events, dg)) return ec;
               return decode_member(b, "inaccessible_cids", out.inaccessible_cids, dg, false);
           });
}

} // namespace streamchat
