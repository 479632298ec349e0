// Fuzzes what the client does with WebSocket frames from an untrusted server: the first frame of
// a socket (error object or handshake), any later frame decoded into an event, and that event
// applied to a channel store holding full state for one channel. Nothing may crash; the store's
// invariants (sorted messages, no duplicate ids) must hold after every event.

#include "realtime/frames.hpp"

#include <streamchat/channel_store.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace streamchat;

    const auto first = detail::read_first_frame(text);
    if (first.what == detail::first_frame::handshake && first.connection_id.empty()) std::abort();
    (void)detail::looks_like_health_check(text);

    event e;
    if (detail::decode_event_frame(text, e)) return 0;

    static channel_store store = [] {
        channel_store s("john");
        channel_state st;
        st.channel.cid = "messaging:general";
        st.channel.type = "messaging";
        st.channel.id = "general";
        s.upsert(st, true);
        return s;
    }();
    store.apply(e);
    if (const auto* st = store.state("messaging:general")) {
        std::set<std::string> ids;
        for (std::size_t i = 0; i < st->messages.size(); ++i) {
            if (!ids.insert(st->messages[i].id).second) std::abort();
            if (i > 0 && st->messages[i].created_at < st->messages[i - 1].created_at) std::abort();
        }
    }
    return 0;
}
