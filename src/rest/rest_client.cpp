// rest_client: validation, request encoding, the Stream envelope (query params, headers, auth,
// token refresh on code 40, error envelope) and response decoding, over http_pool.

#include <streamchat/rest_client.hpp>

#include "filter/filter_json.hpp"
#include "filter/sort_json.hpp"
#include "model/codec.hpp"
#include "rest/http_pool.hpp"
#include "rest/url.hpp"
#include "rest/uuid.hpp"
#include "rest/validation.hpp"

#include <streamchat/version.hpp>

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
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <exception>
#include <new>
#include <tuple>

namespace streamchat {

namespace asio = boost::asio;
namespace json = boost::json;
using detail::http_verb;

namespace detail {

/// Shared state of a client; operations hold a shared_ptr so destroying the client while they
/// run is safe (they complete with error::shut_down from the pool).
struct rest_client_impl {
    asio::any_io_executor ex;
    client_config cfg;
    std::string url_error;               // non-empty: base_url was rejected; every call fails
    std::optional<http_pool> pool;
    std::string token;
    std::uint64_t token_generation = 0;  // bumped on every refresh / set_token
    std::string connection_id;
    bool shut = false;

    // Single-flight token refresh: the provider is never called concurrently with itself.
    bool refreshing = false;
    std::vector<asio::any_completion_handler<void(error_code)>> refresh_waiters;

    rest_client_impl(asio::any_io_executor e, client_config c, asio::ssl::context* tls)
        : ex(std::move(e)), cfg(std::move(c)), token(cfg.token)
    {
        auto url = parse_base_url(cfg.base_url, url_error);
        if (url) {
            url_error.clear();
            pool.emplace(ex, std::move(*url), cfg.http, tls);
        } else if (url_error.empty()) {
            url_error = "base_url is invalid";
        }
    }
};

namespace {

// ------------------------------------------------------------------ helpers

using query_params = std::vector<std::pair<std::string, std::string>>;

/// One REST exchange as the typed calls describe it.
struct api_call {
    http_verb method = http_verb::post;
    std::string path;              // e.g. "/channels/messaging/general/query" (already encoded)
    query_params query{};          // extra query parameters (payload, hard, ...)
    std::optional<json::object> body{};
    bool idempotent = false;       // may be resent after a connection loss
};

struct exchange_result {
    error_code ec;
    json::object body;             // the parsed 2xx body
    int attempts = 0;
};

diagnostics& pick(diagnostics* given, diagnostics& local) { return given ? *given : local; }

error_code fail(diagnostics& d, error_code ec, std::string why)
{
    d.client_message = std::move(why);
    return ec;
}

/// Refreshes the token through the provider, single-flight. Completes with the provider's error.
template <class CompletionToken>
auto async_refresh_token(std::shared_ptr<rest_client_impl> self, CompletionToken&& token)
{
    return asio::async_initiate<CompletionToken, void(error_code)>(
        [](auto handler, std::shared_ptr<rest_client_impl> s) {
            s->refresh_waiters.emplace_back(std::move(handler));
            if (s->refreshing) return;
            s->refreshing = true;
            // The provider may complete inline or on another thread: hop back to our executor.
            s->cfg.token_source([s](error_code ec, std::string fresh) mutable {
                asio::post(s->ex, [s, ec, fresh = std::move(fresh)]() mutable {
                    if (!ec && fresh.empty()) ec = error::invalid_token;
                    if (!ec) {
                        s->token = std::move(fresh);
                        ++s->token_generation;
                    }
                    s->refreshing = false;
                    auto waiters = std::move(s->refresh_waiters);
                    s->refresh_waiters.clear();
                    for (auto& w : waiters) asio::post(s->ex, asio::append(std::move(w), ec));
                });
            });
        },
        token, std::move(self));
}

bool is_2xx(int status) { return status >= 200 && status < 300; }

/// Sends `call` with Stream's envelope; parses a 2xx body as a JSON object; turns anything else
/// into an error code plus diagnostics. Refreshes the token on code 40.
asio::awaitable<exchange_result> exchange(std::shared_ptr<rest_client_impl> self, api_call call, diagnostics& diag)
{
    exchange_result out;
    if (self->shut) {
        out.ec = error::shut_down;
        co_return out;
    }
    if (!self->pool) {
        out.ec = fail(diag, error::invalid_url, self->url_error);
        co_return out;
    }

    const std::string request_id = make_uuid_v4();
    diag.client_request_id = request_id;
    const std::string body_text = call.body ? json::serialize(*call.body) : std::string{};
    int refreshes = 0;

    for (;;) {
        const bool jwt = self->cfg.auth == auth_type::jwt;
        if (jwt && self->token.empty()) {
            if (!self->cfg.token_source) {
                out.ec = fail(diag, error::no_token_provider, "client_config has neither a token nor a token_source");
                co_return out;
            }
            auto [rec] = co_await async_refresh_token(self, asio::as_tuple(asio::use_awaitable));
            if (rec) {
                out.ec = fail(diag, rec, "the token provider failed: " + rec.message());
                co_return out;
            }
        }
        const std::uint64_t generation = self->token_generation;

        // Query parameters in the order the JS client sends them (protocol §1.2).
        query_builder q;
        if (!self->cfg.user_id.empty()) q.add("user_id", self->cfg.user_id);
        if (!self->connection_id.empty()) q.add("connection_id", self->connection_id);
        q.add("api_key", self->cfg.api_key);
        for (const auto& [k, v] : call.query) q.add(k, v);

        http_request req(call.method, q.target(call.path), body_text);
        req.idempotent = call.idempotent;
        if (jwt) req.headers.emplace_back("Authorization", self->token);
        req.headers.emplace_back("stream-auth-type", jwt ? "jwt" : "anonymous");
        req.headers.emplace_back("X-Stream-Client", client_identifier);
        req.headers.emplace_back("x-client-request-id", request_id);
        req.headers.emplace_back("Accept", "application/json");
        if (call.body) req.headers.emplace_back("Content-Type", "application/json");

        auto [ec, resp] = co_await self->pool->async_request(std::move(req), asio::as_tuple(asio::use_awaitable));
        diag.attempts += resp.attempts;
        out.attempts += resp.attempts;
        diag.http_status = resp.status;
        diag.rate_limit = resp.rate_limit;
        if (ec) {
            out.ec = ec;
            if (diag.client_message.empty()) diag.client_message = ec.message();
            co_return out;
        }

        json::parse_options opts;
        opts.max_depth = 64;
        error_code jec;
        json::value body = json::parse(resp.body, jec, {}, opts);

        if (is_2xx(resp.status)) {
            if (jec) {
                out.ec = fail(diag, error::malformed_json, "response body is not JSON: " + jec.message());
            } else if (!body.is_object()) {
                out.ec = fail(diag, error::wrong_type, "response body: expected an object");
            } else {
                out.body = std::move(body.get_object());
            }
            co_return out;
        }

        // An error: Stream's envelope when there is one (protocol §4.2).
        api_error envelope;
        decode_context ctx;
        if (!jec && !decode(body, envelope, ctx)) {
            out.ec = make_api_error_code(envelope.code);
            diag.client_message = envelope.message;
            diag.server = std::move(envelope);
        } else {
            out.ec = fail(diag, error::http_status,
                          "HTTP " + std::to_string(resp.status) + " without a Stream error envelope");
        }

        if (is_token_expired(out.ec) && self->cfg.token_source && refreshes < self->cfg.max_token_refreshes) {
            ++refreshes;
            // Another request may have refreshed already while this one was in flight.
            if (self->token_generation == generation) {
                auto [rec] = co_await async_refresh_token(self, asio::as_tuple(asio::use_awaitable));
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

/// Completes `handler` with `ec` without sending anything (validation failures).
template <class R>
void reject(const std::shared_ptr<rest_client_impl>& self, asio::any_completion_handler<void(error_code, R)> handler,
            error_code ec)
{
    asio::post(self->ex, asio::append(std::move(handler), ec, R{}));
}

std::string channel_path(const std::string& type, const std::string& id, std::string_view suffix = {})
{
    std::string p = "/channels/" + type;
    if (!id.empty()) p += "/" + id;
    p += suffix;
    return p;
}

error_code check_channel(const std::string& type, const std::string& id, std::string& why)
{
    if (auto ec = check_channel_type(type, why)) return ec;
    return check_channel_id(id, why);
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

void put_opt(json::object& o, std::string_view key, const std::optional<int>& v)
{
    if (v) o[key] = *v;
}
void put_opt(json::object& o, std::string_view key, const std::optional<std::string>& v)
{
    if (v) o[key] = *v;
}
void put_opt(json::object& o, std::string_view key, const std::optional<bool>& v)
{
    if (v) o[key] = *v;
}

/// Custom fields are flattened next to the built-in ones; built-in keys win.
void flatten_custom(json::object& o, const json::object& custom)
{
    for (const auto& kv : custom)
        if (!o.contains(kv.key())) o.emplace(kv.key(), kv.value());
}

json::array string_array(const std::vector<std::string>& v)
{
    json::array a;
    a.reserve(v.size());
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

error_code validate_message_input(const message_input& m, bool need_id, std::string& why)
{
    if (need_id || !m.id.empty())
        if (auto ec = check_message_id(m.id, "message.id", why)) return ec;
    if (auto ec = check_count(m.attachments.size(), 0, 30, "message.attachments", why)) return ec;
    if (auto ec = check_count(m.mentioned_users.size(), 0, 100, "message.mentioned_users", why)) return ec;
    for (const auto& u : m.mentioned_users)
        if (auto ec = check_user_id(u, "message.mentioned_users entry", why)) return ec;
    if (m.parent_id)
        if (auto ec = check_message_id(*m.parent_id, "message.parent_id", why)) return ec;
    if (m.quoted_message_id)
        if (auto ec = check_message_id(*m.quoted_message_id, "message.quoted_message_id", why)) return ec;
    if (m.text.empty() && m.attachments.empty() && m.custom.empty()) {
        why = "message has no text, attachments or custom data";
        return error::invalid_argument;
    }
    return {};
}

json::object encode_message_input(const message_input& m)
{
    json::object o;
    o["id"] = m.id;
    o["text"] = m.text;
    if (!m.attachments.empty()) {
        json::array a;
        for (const auto& att : m.attachments) a.push_back(encode(att));
        o["attachments"] = std::move(a);
    }
    if (!m.mentioned_users.empty()) o["mentioned_users"] = string_array(m.mentioned_users);
    put_opt(o, "parent_id", m.parent_id);
    put_opt(o, "show_in_channel", m.show_in_channel);
    put_opt(o, "quoted_message_id", m.quoted_message_id);
    put_opt(o, "silent", m.silent);
    put_opt(o, "pinned", m.pinned);
    flatten_custom(o, m.custom);
    return o;
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
/// `call` and decode the body with `decode(body, out, diag)`.
template <class R, class Decode>
void submit(const std::shared_ptr<rest_client_impl>& self, error_code invalid, std::string why, api_call call,
            diagnostics* d, asio::any_completion_handler<void(error_code, R)> handler, Decode decode)
{
    if (d) d->clear();
    if (invalid) {
        if (d) d->client_message = std::move(why);
        return reject(self, std::move(handler), invalid);
    }
    launch<R>(
        self,
        [self, call = std::move(call), d, decode = std::move(decode)]() mutable
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

api_call post(std::string path, json::object body, bool idempotent)
{
    api_call c;
    c.method = http_verb::post;
    c.path = std::move(path);
    c.body = std::move(body);
    c.idempotent = idempotent;
    return c;
}

api_call without_body(http_verb method, std::string path)
{
    api_call c;
    c.method = method;
    c.path = std::move(path);
    c.idempotent = true; // GET and DELETE
    return c;
}

json::object pagination(const std::optional<int>& limit, const std::optional<int>& offset)
{
    json::object m;
    put_opt(m, "limit", limit);
    put_opt(m, "offset", offset);
    return m;
}

/// Stops at the first failing check; `why` then names the argument.
struct checks {
    error_code ec;
    std::string why;
    template <class F>
    checks& then(F&& f)
    {
        if (!ec) ec = std::forward<F>(f)(why);
        return *this;
    }
    checks& fail_if(bool bad, error e, std::string_view reason)
    {
        if (!ec && bad) {
            ec = e;
            why = reason;
        }
        return *this;
    }
};

} // namespace
} // namespace detail

using namespace detail;

// ------------------------------------------------------------------ construction

rest_client::rest_client(executor_type ex, client_config config)
    : impl_(std::make_shared<rest_client_impl>(std::move(ex), std::move(config), nullptr))
{
}

rest_client::rest_client(executor_type ex, asio::ssl::context& tls, client_config config)
    : impl_(std::make_shared<rest_client_impl>(std::move(ex), std::move(config), &tls))
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

void rest_client::set_token(std::string token)
{
    impl_->token = std::move(token);
    ++impl_->token_generation;
}

void rest_client::shutdown()
{
    impl_->shut = true;
    if (impl_->pool) impl_->pool->shutdown();
}

// ------------------------------------------------------------------ channels

void rest_client::query_channels_impl(query_channels_request req, diagnostics* d,
                                      handler_t<query_channels_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return req.filter_conditions.validate(&why); })
        .then([&](std::string& why) { return req.sort.validate(&why); })
        .then([&](std::string& why) { return check_range(req.limit, 0, 30, "limit", why); })
        .then([&](std::string& why) { return check_range(req.offset, 0, 1000, "offset", why); })
        .then([&](std::string& why) { return check_range(req.message_limit, 0, 300, "message_limit", why); })
        .then([&](std::string& why) { return check_range(req.member_limit, 0, 100, "member_limit", why); });

    json::object body;
    if (!c.ec) {
        body["filter_conditions"] = to_json_value(req.filter_conditions);
        if (!req.sort.empty()) body["sort"] = to_json_value(req.sort);
        body["state"] = req.state;
        body["watch"] = req.watch && !impl_->connection_id.empty();
        body["presence"] = req.presence;
        put_opt(body, "limit", req.limit);
        put_opt(body, "offset", req.offset);
        put_opt(body, "message_limit", req.message_limit);
        put_opt(body, "member_limit", req.member_limit);
    }
    // A query changes nothing but the watch set, which is idempotent.
    submit(impl_, c.ec, std::move(c.why), post("/channels", std::move(body), true), d, std::move(handler),
           field_decoder("channels", &query_channels_response::channels));
}

void rest_client::query_channel_impl(query_channel_request req, diagnostics* d, handler_t<channel_state> handler)
{
    checks c;
    c.then([&](std::string& why) { return check_channel_type(req.type, why); })
        .then([&](std::string& why) { return req.id.empty() ? error_code{} : check_channel_id(req.id, why); })
        .fail_if(req.id.empty() && (!req.data || req.data->members.empty()), error::invalid_argument,
                 "a channel without id needs data.members (distinct channel)");
    if (req.data) {
        c.then([&](std::string& why) { return check_count(req.data->members.size(), 0, 100, "data.members", why); });
        for (const auto& m : req.data->members)
            c.then([&](std::string& why) { return check_user_id(m, "data.members entry", why); });
    }
    if (req.messages) {
        const auto& m = *req.messages;
        c.then([&](std::string& why) { return check_range(m.limit, 0, 300, "messages.limit", why); })
            .fail_if(!!m.id_lt + !!m.id_lte + !!m.id_gt + !!m.id_gte + !!m.id_around > 1, error::invalid_argument,
                     "messages: set at most one of id_lt, id_lte, id_gt, id_gte, id_around");
        for (const auto* a : {&m.id_lt, &m.id_lte, &m.id_gt, &m.id_gte, &m.id_around})
            if (*a) c.then([&](std::string& why) { return check_message_id(**a, "messages pagination id", why); });
    }
    for (const auto* p : {&req.members, &req.watchers})
        if (*p)
            c.then([&](std::string& why) { return check_range((*p)->limit, 0, 300, "members/watchers limit", why); })
                .then([&](std::string& why) { return check_range((*p)->offset, 0, 10000, "members/watchers offset", why); });

    json::object body;
    if (!c.ec) {
        if (req.data) {
            json::object data;
            if (!req.data->members.empty()) data["members"] = string_array(req.data->members);
            flatten_custom(data, req.data->custom);
            body["data"] = std::move(data);
        }
        body["state"] = req.state;
        body["watch"] = req.watch && !impl_->connection_id.empty();
        body["presence"] = req.presence;
        if (const auto& m = req.messages) {
            json::object o = pagination(m->limit, std::nullopt);
            put_opt(o, "id_lt", m->id_lt);
            put_opt(o, "id_lte", m->id_lte);
            put_opt(o, "id_gt", m->id_gt);
            put_opt(o, "id_gte", m->id_gte);
            put_opt(o, "id_around", m->id_around);
            body["messages"] = std::move(o);
        }
        if (req.members) body["members"] = pagination(req.members->limit, req.members->offset);
        if (req.watchers) body["watchers"] = pagination(req.watchers->limit, req.watchers->offset);
    }
    // Get-or-create: sending it twice yields the same channel.
    submit(impl_, c.ec, std::move(c.why), post(channel_path(req.type, req.id, "/query"), std::move(body), true), d,
           std::move(handler), [](json::object& b, channel_state& out, diagnostics& dg) -> error_code {
               b.erase("duration");
               decode_context ctx;
               error_code ec = decode(json::value(std::move(b)), out, ctx);
               if (ec) dg.client_message = ctx.message();
               return ec;
           });
}

void rest_client::stop_watching_impl(channel_ref ref, diagnostics* d, handler_t<empty_response> handler)
{
    std::string why;
    const error_code ec = check_channel(ref.type, ref.id, why);
    submit(impl_, ec, std::move(why), post(channel_path(ref.type, ref.id, "/stop-watching"), {}, true), d,
           std::move(handler), [](json::object& b, empty_response& out, diagnostics&) -> error_code {
               out.duration = take_duration(b);
               return {};
           });
}

// ------------------------------------------------------------------ messages

void rest_client::send_message_impl(send_message_request req, diagnostics* d, handler_t<message_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return check_channel(req.type, req.id, why); })
        .then([&](std::string& why) { return validate_message_input(req.message, false, why); });
    if (c.ec) return submit(impl_, c.ec, std::move(c.why), api_call{}, d, std::move(handler),
                            field_decoder("message", &message_response::message));
    if (d) d->clear();

    // A client-chosen id makes the send idempotent: a resend after a lost connection is refused
    // by the server (code 4, "already exists") instead of posting the message twice.
    if (req.message.id.empty()) req.message.id = make_uuid_v4();
    json::object body;
    body["message"] = encode_message_input(req.message);
    if (req.skip_push) body["skip_push"] = true;
    if (req.skip_enrich_url) body["skip_enrich_url"] = true;
    api_call call = post(channel_path(req.type, req.id, "/message"), std::move(body), true);

    auto self = impl_;
    launch<message_response>(
        impl_,
        [self, call = std::move(call), d, id = req.message.id]() mutable
        -> asio::awaitable<std::tuple<error_code, message_response>> {
            diagnostics local;
            diagnostics& dg = pick(d, local);
            const auto decode_message = field_decoder("message", &message_response::message);
            message_response out;
            auto r = co_await exchange(self, std::move(call), dg);
            // Our own earlier attempt may have landed before the connection dropped: the server
            // then refuses the resend as a duplicate. Fetch the stored message instead of failing.
            if (r.ec == api_errc::input_error && r.attempts > 1 && dg.server &&
                dg.server->message.find("already exists") != std::string::npos) {
                const int earlier = dg.attempts;
                dg.clear();
                r = co_await exchange(self, without_body(http_verb::get, "/messages/" + percent_encode(id)), dg);
                dg.attempts += earlier;
            }
            if (!r.ec) r.ec = decode_message(r.body, out, dg);
            co_return std::tuple{r.ec, std::move(out)};
        },
        std::move(handler));
}

void rest_client::get_message_impl(std::string id, diagnostics* d, handler_t<message_response> handler)
{
    std::string why;
    const error_code ec = check_message_id(id, "message id", why);
    submit(impl_, ec, std::move(why), without_body(http_verb::get, "/messages/" + percent_encode(id)), d,
           std::move(handler), field_decoder("message", &message_response::message));
}

void rest_client::update_message_impl(update_message_request req, diagnostics* d,
                                      handler_t<message_response> handler)
{
    std::string why;
    const error_code ec = validate_message_input(req.message, true, why);
    json::object body;
    body["message"] = encode_message_input(req.message);
    if (req.skip_enrich_url) body["skip_enrich_url"] = true;
    // A full update with the same content converges, so it may be resent.
    submit(impl_, ec, std::move(why), post("/messages/" + percent_encode(req.message.id), std::move(body), true), d,
           std::move(handler), field_decoder("message", &message_response::message));
}

void rest_client::delete_message_impl(delete_message_request req, diagnostics* d,
                                      handler_t<message_response> handler)
{
    std::string why;
    const error_code ec = check_message_id(req.id, "message id", why);
    api_call call = without_body(http_verb::delete_, "/messages/" + percent_encode(req.id));
    if (req.hard) call.query.emplace_back("hard", "true");
    submit(impl_, ec, std::move(why), std::move(call), d, std::move(handler),
           field_decoder("message", &message_response::message));
}

// ------------------------------------------------------------------ read state, events

void rest_client::mark_read_impl(mark_read_request req, diagnostics* d, handler_t<event_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return check_channel(req.type, req.id, why); });
    if (req.message_id) c.then([&](std::string& why) { return check_message_id(*req.message_id, "message_id", why); });
    if (req.thread_id) c.then([&](std::string& why) { return check_message_id(*req.thread_id, "thread_id", why); });
    json::object body;
    put_opt(body, "message_id", req.message_id);
    put_opt(body, "thread_id", req.thread_id);
    submit(impl_, c.ec, std::move(c.why), post(channel_path(req.type, req.id, "/read"), std::move(body), true), d,
           std::move(handler), field_decoder("event", &event_response::event));
}

void rest_client::send_event_impl(send_event_request req, diagnostics* d, handler_t<event_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return check_channel(req.type, req.id, why); })
        .fail_if(req.event_type.empty() || req.event_type.size() > 255, error::invalid_argument,
                 "event type must be 1..255 characters");
    if (req.parent_id) c.then([&](std::string& why) { return check_message_id(*req.parent_id, "parent_id", why); });
    json::object ev;
    ev["type"] = req.event_type;
    put_opt(ev, "parent_id", req.parent_id);
    flatten_custom(ev, req.custom);
    json::object body;
    body["event"] = std::move(ev);
    // Not idempotent: a resent custom event would be delivered twice.
    submit(impl_, c.ec, std::move(c.why), post(channel_path(req.type, req.id, "/event"), std::move(body), false), d,
           std::move(handler), field_decoder("event", &event_response::event));
}

// ------------------------------------------------------------------ users

void rest_client::query_users_impl(query_users_request req, diagnostics* d, handler_t<query_users_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return req.filter_conditions.validate(&why); })
        .then([&](std::string& why) { return req.sort.validate(&why); })
        .then([&](std::string& why) { return check_range(req.limit, 0, 100, "limit", why); })
        .then([&](std::string& why) { return check_range(req.offset, 0, 1000, "offset", why); });

    api_call call = without_body(http_verb::get, "/users");
    if (!c.ec) {
        json::object payload;
        payload["filter_conditions"] = to_json_value(req.filter_conditions);
        if (!req.sort.empty()) payload["sort"] = to_json_value(req.sort);
        // Presence subscribes a connection; without one there is nothing to subscribe.
        payload["presence"] = req.presence && !impl_->connection_id.empty();
        put_opt(payload, "limit", req.limit);
        put_opt(payload, "offset", req.offset);
        put_opt(payload, "include_deactivated_users", req.include_deactivated_users);
        call.query.emplace_back("payload", json::serialize(payload));
    }
    submit(impl_, c.ec, std::move(c.why), std::move(call), d, std::move(handler),
           field_decoder("users", &query_users_response::users));
}

void rest_client::upsert_users_impl(std::vector<user_input> users, diagnostics* d, handler_t<users_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return check_count(users.size(), 1, 100, "users", why); });
    json::object map;
    for (const auto& u : users) {
        c.then([&](std::string& why) { return check_user_id(u.id, "users[].id", why); });
        json::object o;
        o["id"] = u.id;
        put_opt(o, "name", u.name);
        put_opt(o, "image", u.image);
        put_opt(o, "role", u.role);
        flatten_custom(o, u.custom);
        map[u.id] = std::move(o);
    }
    json::object body;
    body["users"] = std::move(map);
    // An upsert converges, so it may be resent.
    submit(impl_, c.ec, std::move(c.why), post("/users", std::move(body), true), d, std::move(handler),
           field_decoder("users", &users_response::users));
}

void rest_client::partial_update_users_impl(std::vector<user_partial_update> updates, diagnostics* d,
                                            handler_t<users_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return check_count(updates.size(), 1, 100, "users", why); });
    json::array arr;
    for (const auto& u : updates) {
        c.then([&](std::string& why) { return check_user_id(u.id, "users[].id", why); })
            .fail_if(u.set.empty() && u.unset.empty(), error::invalid_argument,
                     "users[].set and users[].unset are both empty");
        json::object o;
        o["id"] = u.id;
        if (!u.set.empty()) o["set"] = u.set;
        if (!u.unset.empty()) o["unset"] = string_array(u.unset);
        arr.push_back(std::move(o));
    }
    json::object body;
    body["users"] = std::move(arr);
    api_call call = post("/users", std::move(body), true);
    call.method = http_verb::patch;
    submit(impl_, c.ec, std::move(c.why), std::move(call), d, std::move(handler),
           field_decoder("users", &users_response::users));
}

// ------------------------------------------------------------------ sync

void rest_client::sync_impl(sync_request req, diagnostics* d, handler_t<sync_response> handler)
{
    checks c;
    c.then([&](std::string& why) { return check_count(req.channel_cids.size(), 1, 255, "channel_cids", why); });
    for (const auto& cid : req.channel_cids) {
        const auto colon = cid.find(':');
        c.fail_if(colon == std::string::npos, error::invalid_id, "a channel_cids entry is not type:id");
        if (colon != std::string::npos)
            c.then([&](std::string& why) { return check_channel(cid.substr(0, colon), cid.substr(colon + 1), why); });
    }
    // The server looks back 30 days at most (protocol §3.11); older state must be re-queried.
    c.fail_if(req.last_sync_at < std::chrono::system_clock::now() - std::chrono::hours(24 * 30), error::limit_exceeded,
              "last_sync_at is more than 30 days ago; re-query the channels instead");

    json::object body;
    body["channel_cids"] = string_array(req.channel_cids);
    body["last_sync_at"] = format_timestamp(req.last_sync_at);
    put_opt(body, "watch", req.watch);
    put_opt(body, "with_inaccessible_cids", req.with_inaccessible_cids);
    submit(impl_, c.ec, std::move(c.why), post("/sync", std::move(body), true), d, std::move(handler),
           [](json::object& b, sync_response& out, diagnostics& dg) -> error_code {
               out.duration = take_duration(b);
               if (auto ec = decode_member(b, "events", out.events, dg)) return ec;
               return decode_member(b, "inaccessible_cids", out.inaccessible_cids, dg, false);
           });
}

} // namespace streamchat
