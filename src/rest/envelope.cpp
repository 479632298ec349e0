#include "rest/envelope.hpp"

#include "model/codec.hpp"
#include "wire/url.hpp"

#include <streamchat/version.hpp>

#include <boost/json/parse.hpp>

namespace streamchat::detail {

namespace json = boost::json;

http_request make_request(const api_call& call, const std::string& body_text, const envelope_params& who)
{
    const bool jwt = who.auth == auth_type::jwt;
    // Query parameters in the order the JS client sends them (docs/protocol.md §1.2).
    query_builder q;
    if (!who.user_id.empty()) q.add("user_id", who.user_id);
    if (!who.connection_id.empty()) q.add("connection_id", who.connection_id);
    q.add("api_key", who.api_key);
    for (const auto& [k, v] : call.query) q.add(k, v);

    http_request req(call.method, q.target(call.path), body_text);
    req.idempotent = call.idempotent;
    if (jwt) req.headers.emplace_back("Authorization", who.token);
    req.headers.emplace_back("stream-auth-type", jwt ? "jwt" : "anonymous");
    req.headers.emplace_back("X-Stream-Client", client_identifier);
    req.headers.emplace_back("x-client-request-id", who.request_id);
    req.headers.emplace_back("Accept", "application/json");
    if (call.body) req.headers.emplace_back("Content-Type", "application/json");
    return req;
}

error_code read_response(const http_response& response, json::object& body, diagnostics& diag)
{
    json::parse_options opts;
    opts.max_depth = 64;
    error_code jec;
    json::value parsed = json::parse(response.body, jec, {}, opts);

    if (response.status >= 200 && response.status < 300) {
        if (jec) {
            diag.client_message = "response body is not JSON: " + jec.message();
            return error::malformed_json;
        }
        if (!parsed.is_object()) {
            diag.client_message = "response body: expected an object";
            return error::wrong_type;
        }
        body = std::move(parsed.get_object());
        return {};
    }

    // An error: Stream's envelope when there is one (docs/protocol.md §4.1).
    api_error envelope;
    decode_context ctx;
    if (!jec && !decode(parsed, envelope, ctx)) {
        const error_code ec = make_api_error_code(envelope.code);
        diag.client_message = envelope.message;
        diag.server = std::move(envelope);
        return ec;
    }
    diag.client_message = "HTTP " + std::to_string(response.status) + " without a Stream error envelope";
    return error::http_status;
}

bool is_duplicate_refusal(const error_code& ec, const diagnostics& diag) noexcept
{
    return ec == api_errc::input_error && diag.server &&
           diag.server->message.find("already exists") != std::string::npos;
}

} // namespace streamchat::detail
