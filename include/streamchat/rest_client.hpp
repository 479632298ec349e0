#ifndef STREAMCHAT_REST_CLIENT_HPP
#define STREAMCHAT_REST_CLIENT_HPP

/// @file
/// Typed, asynchronous calls to Stream's client-side REST API.

#include <streamchat/api/channels.hpp>
#include <streamchat/api/messages.hpp>
#include <streamchat/api/sync.hpp>
#include <streamchat/api/users.hpp>
#include <streamchat/config.hpp>
#include <streamchat/diagnostics.hpp>
#include <streamchat/error.hpp>
#include <streamchat/request_priority.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace boost::asio::ssl { class context; }

namespace streamchat {

namespace detail {
struct rest_client_impl;
class transport;
class token_refresher;
template <class T>
concept not_diagnostics = !std::same_as<std::remove_cvref_t<T>, diagnostics> &&
                          !std::same_as<std::remove_cvref_t<T>, request_options>;
} // namespace detail

/** @brief Typed REST calls over a keep-alive connection pool.

    Every call validates its request first (ids, limits of docs/protocol.md §3.2, filters, sorts) and
    fails with a `streamchat::error` before anything is sent when it is invalid. Each request carries
    `api_key`, `user_id`, `connection_id` and the headers of docs/protocol.md §1.3. A code-40 answer asks the
    token provider again and resends (up to `client_config::max_token_refreshes`).

    @par Completion tokens
    Every `async_` function takes a completion token, `asio::deferred` by default, so it can be
    `co_await`ed, given a callback or `asio::use_future`. The handler signature is
    `void(error_code, Response)`. Overloads taking a `diagnostics&` fill it with the server's error
    envelope, rate-limit figures and a client-side explanation; it must outlive the operation.

    @par Per-operation cancellation
    Terminal and partial cancellation abort the HTTP exchange; the handler gets
    `asio::error::operation_aborted`.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe; use one client from one strand.
*/
class rest_client {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Uses a TLS context with the system's CA store and peer verification.
    rest_client(executor_type ex, client_config config);
    /// Uses the given TLS context (it must outlive the client).
    rest_client(executor_type ex, boost::asio::ssl::context& tls, client_config config);
    /// Sends through `net` (a scheduler, a pool shared by many clients, a test fake) and takes
    /// tokens from `auth` (shared with the WebSocket of the same client). Either may be null:
    /// then a pool to `config.base_url` / a refresher over `config.token` is made. Internal types;
    /// used by `streamchat::client` and the tests.
    rest_client(executor_type ex, client_config config, std::shared_ptr<detail::transport> net,
                std::shared_ptr<detail::token_refresher> auth);
    ~rest_client();
    rest_client(const rest_client&) = delete;
    rest_client& operator=(const rest_client&) = delete;

    executor_type get_executor() const noexcept;
    const client_config& config() const noexcept;

    /// The WebSocket connection id sent as `connection_id`; empty = none (watch is then off).
    void set_connection_id(std::string id);
    const std::string& connection_id() const noexcept;

    /// Replaces the token used from the next request on.
    void set_token(std::string token);

    /// Fails every pending and queued request with `error::shut_down` and closes connections.
    void shutdown();

#define STREAMCHAT_REST_OP(name, request_t, response_t)                                              \
    template <class CompletionToken = boost::asio::deferred_t>                                       \
        requires detail::not_diagnostics<CompletionToken>                                            \
    auto async_##name(request_t req, CompletionToken&& token = {})                                   \
    {                                                                                                \
        return initiate<response_t, request_t>(&rest_client::name##_impl, std::move(req),            \
                                                request_options{}, std::forward<CompletionToken>(token)); \
    }                                                                                                \
    template <class CompletionToken = boost::asio::deferred_t>                                       \
    auto async_##name(request_t req, diagnostics& diag, CompletionToken&& token = {})                \
    {                                                                                                \
        return initiate<response_t, request_t>(&rest_client::name##_impl, std::move(req),            \
                                                request_options{.diag = &diag},                      \
                                                std::forward<CompletionToken>(token));               \
    }                                                                                                \
    template <class CompletionToken = boost::asio::deferred_t>                                       \
    auto async_##name(request_t req, request_options opts, CompletionToken&& token = {})             \
    {                                                                                                \
        return initiate<response_t, request_t>(&rest_client::name##_impl, std::move(req), opts,      \
                                                std::forward<CompletionToken>(token));               \
    }

    /// `POST /channels`. Handler: `void(error_code, query_channels_response)`.
    STREAMCHAT_REST_OP(query_channels, query_channels_request, query_channels_response)
    /// `POST /channels/{type}/{id}/query` (or `/channels/{type}/query` for a distinct channel).
    /// Handler: `void(error_code, channel_state)`.
    STREAMCHAT_REST_OP(query_channel, query_channel_request, channel_state)
    /// `POST /channels/{type}/{id}/stop-watching`. Handler: `void(error_code, empty_response)`.
    STREAMCHAT_REST_OP(stop_watching, channel_ref, empty_response)
    /// `POST /channels/{type}/{id}/message`. Handler: `void(error_code, message_response)`.
    STREAMCHAT_REST_OP(send_message, send_message_request, message_response)
    /// `GET /messages/{id}`; the argument is the message id. Handler: `void(error_code, message_response)`.
    STREAMCHAT_REST_OP(get_message, std::string, message_response)
    /// `POST /messages/{id}`. Handler: `void(error_code, message_response)`.
    STREAMCHAT_REST_OP(update_message, update_message_request, message_response)
    /// `DELETE /messages/{id}`. Handler: `void(error_code, message_response)`.
    STREAMCHAT_REST_OP(delete_message, delete_message_request, message_response)
    /// `POST /channels/{type}/{id}/read`. Handler: `void(error_code, event_response)`.
    STREAMCHAT_REST_OP(mark_read, mark_read_request, event_response)
    /// `POST /channels/{type}/{id}/event`. Handler: `void(error_code, event_response)`.
    STREAMCHAT_REST_OP(send_event, send_event_request, event_response)
    /// `GET /users?payload=`. Handler: `void(error_code, query_users_response)`.
    STREAMCHAT_REST_OP(query_users, query_users_request, query_users_response)
    /// `POST /users` (server token). Handler: `void(error_code, users_response)`.
    STREAMCHAT_REST_OP(upsert_users, std::vector<user_input>, users_response)
    /// `PATCH /users` (server token, ≤ 100 users). Handler: `void(error_code, users_response)`.
    STREAMCHAT_REST_OP(partial_update_users, std::vector<user_partial_update>, users_response)
    /// `POST /sync`. Handler: `void(error_code, sync_response)`.
    STREAMCHAT_REST_OP(sync, sync_request, sync_response)

#undef STREAMCHAT_REST_OP

private:
    template <class Response>
    using handler_t = boost::asio::any_completion_handler<void(error_code, Response)>;

    template <class Response, class Request, class CompletionToken>
    auto initiate(void (rest_client::*impl)(Request, request_options, handler_t<Response>), Request req,
                  request_options opts, CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code, Response)>(
            [this, impl, opts](auto handler, Request r) {
                (this->*impl)(std::move(r), opts, handler_t<Response>(std::move(handler)));
            },
            token, std::move(req));
    }

    void query_channels_impl(query_channels_request, request_options, handler_t<query_channels_response>);
    void query_channel_impl(query_channel_request, request_options, handler_t<channel_state>);
    void stop_watching_impl(channel_ref, request_options, handler_t<empty_response>);
    void send_message_impl(send_message_request, request_options, handler_t<message_response>);
    void get_message_impl(std::string, request_options, handler_t<message_response>);
    void update_message_impl(update_message_request, request_options, handler_t<message_response>);
    void delete_message_impl(delete_message_request, request_options, handler_t<message_response>);
    void mark_read_impl(mark_read_request, request_options, handler_t<event_response>);
    void send_event_impl(send_event_request, request_options, handler_t<event_response>);
    void query_users_impl(query_users_request, request_options, handler_t<query_users_response>);
    void upsert_users_impl(std::vector<user_input>, request_options, handler_t<users_response>);
    void partial_update_users_impl(std::vector<user_partial_update>, request_options, handler_t<users_response>);
    void sync_impl(sync_request, request_options, handler_t<sync_response>);

    std::shared_ptr<detail::rest_client_impl> impl_;
};

} // namespace streamchat

#endif
