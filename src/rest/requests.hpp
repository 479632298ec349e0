#ifndef STREAMCHAT_SRC_REST_REQUESTS_HPP
#define STREAMCHAT_SRC_REST_REQUESTS_HPP

// Request encoding and validation of every typed call: application input is checked against
// Stream's limits (docs/protocol.md §3) and turned into an `api_call`, or refused with an error
// and a sentence naming the argument, before anything is sent. Pure functions.

#include "rest/envelope.hpp"

#include <streamchat/api/channels.hpp>
#include <streamchat/api/messages.hpp>
#include <streamchat/api/sync.hpp>
#include <streamchat/api/users.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace streamchat::detail {

/// A call ready to send, or the reason it must not be (`ec` set, `why` names the argument).
struct encoded_call {
    error_code ec;
    std::string why;
    api_call call;
};

// `connected`: a WebSocket connection id exists. Without one, watch and presence are sent as
// false, as the JS client does: the server has no connection to subscribe.
encoded_call encode_query_channels(const query_channels_request& req, bool connected);
encoded_call encode_query_channel(const query_channel_request& req, bool connected);
encoded_call encode_stop_watching(const channel_ref& ref);
/// Gives the message a client-generated id when it has none (written back into `req`).
encoded_call encode_send_message(send_message_request& req);
encoded_call encode_get_message(const std::string& id);
encoded_call encode_update_message(const update_message_request& req);
encoded_call encode_delete_message(const delete_message_request& req);
encoded_call encode_mark_read(const mark_read_request& req);
encoded_call encode_send_event(const send_event_request& req);
encoded_call encode_query_users(const query_users_request& req, bool connected);
encoded_call encode_upsert_users(const std::vector<user_input>& users);
encoded_call encode_partial_update_users(const std::vector<user_partial_update>& updates);
/// `now` bounds `last_sync_at` (the server looks back 30 days at most).
encoded_call encode_sync(const sync_request& req, std::chrono::system_clock::time_point now);

} // namespace streamchat::detail

#endif
