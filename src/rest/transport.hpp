#ifndef STREAMCHAT_SRC_REST_TRANSPORT_HPP
#define STREAMCHAT_SRC_REST_TRANSPORT_HPP

// The seam between the REST layer and whatever carries its requests: the keep-alive pool today;
// a scheduler with rate budgets, a pool shared by many clients in one process, or a test fake
// tomorrow. Non-template on purpose: the REST layer compiles against this header alone.

#include "rest/http_message.hpp"

#include <streamchat/error.hpp>
#include <streamchat/request_priority.hpp>

#include <boost/asio/any_completion_handler.hpp>

#include <string_view>

namespace streamchat::detail {

/// Names the API operation a request belongs to ("query_channels", "send_message", …): Stream
/// rate-limits per endpoint, so a scheduler keys its budgets on it. Always a string literal.
struct endpoint_key {
    std::string_view name;
    /// The scheduler's lane for this request; other transports ignore it.
    request_priority priority = request_priority::visible;
};

/// Carries one HTTP request to the API host and hands back its response.
///
/// Contract: the handler is called exactly once, on the transport's executor or the handler's
/// associated executor; a 4xx/5xx is a response, not an error; after `shutdown()` every pending
/// and new request completes with `error::shut_down`. Per-operation cancellation is honoured
/// through the handler's cancellation slot.
class transport {
public:
    virtual ~transport() = default;

    virtual void async_send(endpoint_key endpoint, http_request request,
                            boost::asio::any_completion_handler<void(error_code, http_response)> handler) = 0;

    virtual void shutdown() = 0;
};

} // namespace streamchat::detail

#endif
