// Differential fuzzing of the realtime fast path: every input (one or more frames separated by a
// NUL byte, which no JSON text contains raw) is fed to two identically seeded channel stores, one
// through decode_event_frame + apply, the other through fast_decoder + apply_fast (falling back
// to the full path like the client does). Aborts when the fast decoder accepts a frame the codec
// rejects, calls a frame malformed that the codec accepts, returns another result than apply(),
// or when any field of any channel summary differs afterwards.

#include "events/fast_decode.hpp"
#include "realtime/frames.hpp"

#include <streamchat/channel_store.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace streamchat;

void seed(channel_store& s)
{
    for (const char* id : {"general", "random", "full"}) {
        channel_state st;
        st.channel.type = "messaging";
        st.channel.id = id;
        st.channel.cid = std::string("messaging:") + id;
        st.channel.extra["name"] = id;
        st.channel.member_count = 3;
        message m;
        m.id = std::string("seed-") + id;
        m.user.id = "jack";
        m.text = "seeded";
        m.created_at = *parse_timestamp("2024-05-02T10:00:00Z");
        st.channel.last_message_at = m.created_at;
        st.messages.push_back(m);
        read_state r;
        r.user.id = "john";
        r.unread_messages = 2;
        st.read.push_back(r);
        s.upsert(st, std::string_view(id) == "full");
    }
}

[[noreturn]] void mismatch(const char* what, std::string_view frame)
{
    std::fprintf(stderr, "fast path mismatch: %s\nframe: %.*s\n", what, static_cast<int>(frame.size()), frame.data());
    std::abort();
}

bool same(const channel_summary& a, const channel_summary& b)
{
    return a.cid == b.cid && a.name == b.name && a.image == b.image && a.last_message_at == b.last_message_at &&
           a.last_message_id == b.last_message_id && a.last_message_user_id == b.last_message_user_id &&
           a.last_message_preview == b.last_message_preview && a.unread_count == b.unread_count &&
           a.member_count == b.member_count && a.hidden == b.hidden;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    channel_store full("john"), fast("john");
    seed(full);
    seed(fast);
    static detail::fast_decoder decoder; // reused like the client's: state must not leak between frames
    detail::fast_event fe;

    std::size_t start = 0;
    for (int n = 0; n < 8 && start <= input.size(); ++n) {
        const std::size_t end = std::min(input.find('\0', start), input.size());
        const std::string_view frame = input.substr(start, end - start);
        start = end + 1;

        event e;
        const error_code ec = detail::decode_event_frame(frame, e);
        const bool full_changed = !ec && full.apply(e);
        switch (decoder.decode(frame, fe)) {
        case detail::fast_status::decoded:
            if (ec) mismatch("decoded a frame the codec rejects", frame);
            if (fe.type != e.type || fe.created_at != e.created_at) mismatch("type or created_at", frame);
            if (fast.is_materialised(fe.cid)) {
                if (fast.apply(e) != full_changed) mismatch("apply() result", frame);
            } else if (fast.apply_fast(fe) != full_changed) {
                mismatch("apply_fast() result", frame);
            }
            break;
        case detail::fast_status::fallback:
            if (!ec) fast.apply(e);
            break;
        case detail::fast_status::malformed:
            if (!ec) mismatch("malformed, but the codec accepts it", frame);
            break;
        }
        if (full.size() != fast.size()) mismatch("number of summaries", frame);
        full.for_each([&](const channel_summary& a) {
            const auto b = fast.summary(a.cid);
            if (!b || !same(a, *b)) mismatch("a summary differs", frame);
        });
    }
    return 0;
}
