#ifndef STREAMCHAT_TESTS_SUPPORT_EMULATOR_REFERENCE_HPP
#define STREAMCHAT_TESTS_SUPPORT_EMULATOR_REFERENCE_HPP

// queryChannels the way the emulator answered it before pages were written as text: per channel,
// one query at a time for the caller's membership, the members and the messages, then rows → SDK
// model structs → a JSON DOM through the codec, serialised at the end. Slow and plainly right: the
// oracle the text renderer must match byte for byte (tests/unit/emulator/channel_states.cpp), and
// the "before" of bench_emulator.

#include "emulator/api.hpp"
#include "emulator/handlers/render.hpp"

#include <boost/json/object.hpp>

namespace streamchat::emu::reference {

/// The ChannelState object of `c` (channel, messages, members, pinned_messages, read, watchers,
/// watcher_count, membership, threads, pending_messages).
boost::json::object channel_state(session& s, const channel_row& c, const state_options& o);

/// POST /channels answered the model way. Supports what pages need (filter, sort, limit, offset,
/// message_limit, member_limit, state, server `user_id`), not `watch` or `presence`. Failures are
/// error envelopes, as from handle().
api_response query_channels(const api_request& request, context& ctx);

} // namespace streamchat::emu::reference

#endif
