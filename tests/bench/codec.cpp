// JSON codec throughput, side by side in one run, on two realistic documents:
//  - a `message.new` WebSocket frame (~1.5 KB: user with custom fields, attachments, reactions),
//  - a 30-channel queryChannels page (message_limit 1; config, 2 members, 2 read states each).
// For each: (a) boost::json::parse alone (the floor), (b) parse + typed decode (our codec, as the
// REST client does it), (b') typed decode of an already parsed value, (c) typed encode + serialize;
// plus the public from_json() of the frame (arena-backed parse + decode) against an arena parse.
// Prints bytes/s and items/s (frames or channels), then the ratios.

#include "ratio_report.hpp"

#include "model/codec.hpp"

#include <streamchat/model/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
namespace detail = streamchat::detail;

// ------------------------------------------------------------------ documents

/// A message.new frame as a watcher receives it: sender with custom fields, an image and a link
/// preview, a latest reaction, a mention, custom message fields, per-recipient counts.
const std::string message_new_frame = R"({"type":"message.new","cid":"messaging:apollo","channel_id":"apollo","channel_type":"messaging",
"message":{"id":"9b2f8c7e-6a1d-4f3e-9c55-2d7e1a0b4c31","cid":"messaging:apollo","type":"regular",
"text":"Launch checklist is ready, @maria please review it","html":"<p>Launch checklist is ready, @maria please review it</p>\n",
"user":{"id":"jack","name":"Jack Miller","image":"https://cdn.example.com/a/jack.png","role":"user","online":true,"created_at":"2023-03-01T09:12:44.118254Z","updated_at":"2024-05-02T10:00:00Z","department":"engineering","employee_id":4711},
"attachments":[{"type":"image","image_url":"https://cdn.example.com/u/board.jpg","thumb_url":"https://cdn.example.com/u/board_t.jpg","mime_type":"image/jpeg","file_size":482133,"original_width":1920,"original_height":1080},
{"type":"article","title":"Apollo checklist","title_link":"https://example.com/apollo","og_scrape_url":"https://example.com/apollo"}],
"latest_reactions":[{"type":"like","score":1,"message_id":"9b2f8c7e-6a1d-4f3e-9c55-2d7e1a0b4c31","user_id":"maria","user":{"id":"maria","name":"Maria Lopez"},"created_at":"2024-05-02T10:15:02.5Z","updated_at":"2024-05-02T10:15:02.5Z"}],
"own_reactions":[],"reaction_counts":{"like":1},"reaction_scores":{"like":1},
"reply_count":0,"deleted_reply_count":0,"mentioned_users":[{"id":"maria","name":"Maria Lopez"}],
"mentioned_channel":false,"mentioned_here":false,"silent":false,"shadowed":false,"pinned":false,"restricted_visibility":[],
"created_at":"2024-05-02T10:15:00.482913Z","updated_at":"2024-05-02T10:15:00.482913Z","priority":"high","ticket":"APL-42"},
"user":{"id":"jack","name":"Jack Miller"},"watcher_count":4,"total_unread_count":7,"unread_count":7,"unread_channels":2,
"created_at":"2024-05-02T10:15:00.490113242Z"})";

json::object make_user(const std::string& id, bool full)
{
    json::object u{{"id", id}, {"name", "User " + id}, {"role", "user"}, {"online", false}};
    if (full) {
        u["image"] = "https://cdn.example.com/avatars/" + id + ".png";
        u["language"] = "en";
        u["banned"] = false;
        u["created_at"] = "2023-01-10T08:00:00.000000Z";
        u["updated_at"] = "2024-04-30T17:45:12.345678Z";
        u["last_active"] = "2024-05-02T09:58:01.000000Z";
        u["team_color"] = "#3366ff"; // custom
    }
    return u;
}

json::object make_config()
{
    json::object c{{"name", "messaging"}, {"created_at", "2022-11-01T00:00:00Z"}, {"updated_at", "2024-01-15T12:00:00Z"}};
    for (const char* flag : {"typing_events", "read_events", "connect_events", "custom_events", "delivery_events",
                             "search", "reactions", "replies", "quotes", "mutes", "uploads", "url_enrichment",
                             "push_notifications", "polls", "reminders", "shared_locations"})
        c[flag] = true;
    for (const char* flag : {"user_message_reminders", "count_messages", "mark_messages_pending",
                             "skip_last_msg_update_for_system_msgs"})
        c[flag] = false;
    c["max_message_length"] = 5000;
    c["message_retention"] = "infinite";
    c["automod"] = "disabled";
    c["automod_behavior"] = "flag";
    c["blocklist_behavior"] = "flag";
    c["commands"] = json::array{json::object{
        {"name", "giphy"}, {"description", "Post a random gif to the channel"}, {"args", "[text]"}, {"set", "fun_set"}}};
    return c;
}

json::object make_message(int ch, const json::object& author)
{
    const std::string id = "msg-" + std::to_string(ch) + "-0001";
    return json::object{
        {"id", id}, {"cid", "messaging:room-" + std::to_string(ch)}, {"type", "regular"},
        {"text", "Latest update for room " + std::to_string(ch) + ": deploy went fine, metrics look normal."},
        {"html", "<p>Latest update for room " + std::to_string(ch) + ": deploy went fine, metrics look normal.</p>\n"},
        {"user", author}, {"attachments", json::array{}}, {"latest_reactions", json::array{}},
        {"own_reactions", json::array{}}, {"reaction_counts", json::object{}}, {"reaction_scores", json::object{}},
        {"reply_count", 0}, {"deleted_reply_count", 0}, {"mentioned_users", json::array{}},
        {"mentioned_channel", false}, {"mentioned_here", false}, {"silent", false}, {"shadowed", false},
        {"pinned", false}, {"restricted_visibility", json::array{}},
        {"created_at", "2024-05-02T09:30:00.123456Z"}, {"updated_at", "2024-05-02T09:30:00.123456Z"}};
}

json::object make_member(const json::object& user, const char* role)
{
    return json::object{{"user_id", user.at("id")}, {"user", user}, {"channel_role", role},
                        {"banned", false}, {"shadow_banned", false}, {"notifications_muted", false},
                        {"created_at", "2023-06-01T12:00:00.000000Z"}, {"updated_at", "2023-06-01T12:00:00.000000Z"},
                        {"role", "member"}};
}

/// A POST /channels response: 30 channels, message_limit 1, each with its config, 2 members and
/// 2 read states (the current user's included), as the server sends for a 1:1 chat list.
std::string make_query_channels_page(int channels)
{
    json::array list;
    const json::object me = make_user("me", true);
    for (int ch = 0; ch < channels; ++ch) {
        const std::string id = "room-" + std::to_string(ch);
        const json::object other = make_user("peer-" + std::to_string(ch), true);
        json::object channel{
            {"id", id}, {"type", "messaging"}, {"cid", "messaging:" + id},
            {"created_at", "2023-06-01T12:00:00.000000Z"}, {"updated_at", "2024-05-01T08:00:00.000000Z"},
            {"last_message_at", "2024-05-02T09:30:00.123456Z"}, {"frozen", false}, {"disabled", false},
            {"member_count", 2}, {"config", make_config()}, {"created_by", me},
            {"own_capabilities", json::array{"connect-events", "delete-own-message", "flag-message", "pin-message",
                                             "quote-message", "read-events", "search-messages", "send-message",
                                             "send-reaction", "send-reply", "send-typing-events", "typing-events",
                                             "update-own-message", "upload-file"}},
            {"name", "Room " + std::to_string(ch)}, {"image", "https://cdn.example.com/rooms/" + id + ".png"}};
        json::array members{make_member(me, "owner"), make_member(other, "channel_member")};
        json::array read{
            json::object{{"user", me}, {"last_read", "2024-05-02T09:31:00.000000Z"}, {"unread_messages", 0},
                         {"last_read_message_id", "msg-" + std::to_string(ch) + "-0001"}},
            json::object{{"user", other}, {"last_read", "2024-05-01T20:00:00.000000Z"}, {"unread_messages", 1}}};
        list.push_back(json::object{
            {"channel", std::move(channel)}, {"messages", json::array{make_message(ch, other)}},
            {"members", members}, {"pinned_messages", json::array{}}, {"read", std::move(read)},
            {"watcher_count", 1}, {"watchers", json::array{}}, {"membership", members[0]}, {"threads", json::array{}},
            {"hidden", false}});
    }
    return json::serialize(json::object{{"channels", std::move(list)}, {"duration", "12.34ms"}});
}

const int page_channels = 30;
const std::string query_channels_page = make_query_channels_page(page_channels);

// ------------------------------------------------------------------ typed documents

/// What the REST client keeps of a queryChannels body.
using page_type = std::vector<streamchat::channel_state>;

void check(bool ok, const char* what)
{
    if (!ok) {
        std::fprintf(stderr, "bench_codec: %s\n", what);
        std::exit(1);
    }
}

bool decode_doc(const json::value& v, streamchat::event& out)
{
    detail::decode_context ctx;
    return !detail::decode(v, out, ctx);
}

bool decode_doc(const json::value& v, page_type& out)
{
    const json::object* o = v.if_object();
    const json::value* channels = o ? o->if_contains("channels") : nullptr;
    if (!channels) return false;
    detail::decode_context ctx;
    auto s = ctx.enter("channels");
    return !detail::decode(*channels, out, ctx);
}

json::value encode_doc(const streamchat::event& e)
{
    return detail::encode(e);
}

json::value encode_doc(const page_type& p)
{
    return json::object{{"channels", detail::encode(p)}};
}

template <class T>
T decoded(const std::string& text)
{
    T out{};
    check(decode_doc(json::parse(text), out), "a document does not decode");
    return out;
}

// ------------------------------------------------------------------ benchmarks

void count(benchmark::State& st, std::size_t bytes, int items)
{
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * static_cast<std::int64_t>(bytes)));
    st.SetItemsProcessed(st.iterations() * items);
}

/// (a) The floor: parse into a json::value with default storage (what the REST client does).
void bm_parse(benchmark::State& st, const std::string* text, int items)
{
    for (auto _ : st) {
        json::value v = json::parse(*text);
        benchmark::DoNotOptimize(v);
    }
    count(st, text->size(), items);
}

/// The floor of from_json(): parse into a monotonic arena.
void bm_parse_arena(benchmark::State& st, const std::string* text, int items)
{
    for (auto _ : st) {
        json::monotonic_resource arena;
        json::value v = json::parse(*text, &arena);
        benchmark::DoNotOptimize(v);
    }
    count(st, text->size(), items);
}

/// (b) Parse + typed decode.
template <class T>
void bm_parse_decode(benchmark::State& st, const std::string* text, int items)
{
    for (auto _ : st) {
        json::value v = json::parse(*text);
        T out{};
        if (!decode_doc(v, out)) {
            st.SkipWithError("decode failed");
            break;
        }
        benchmark::DoNotOptimize(out);
    }
    count(st, text->size(), items);
}

/// (b') Typed decode alone, from an already parsed value.
template <class T>
void bm_decode_only(benchmark::State& st, const std::string* text, int items)
{
    const json::value v = json::parse(*text);
    for (auto _ : st) {
        T out{};
        if (!decode_doc(v, out)) {
            st.SkipWithError("decode failed");
            break;
        }
        benchmark::DoNotOptimize(out);
    }
    count(st, text->size(), items);
}

/// Parse into a monotonic arena + typed decode: what from_json() does, for any document.
template <class T>
void bm_arena_parse_decode(benchmark::State& st, const std::string* text, int items)
{
    for (auto _ : st) {
        json::monotonic_resource arena;
        json::value v = json::parse(*text, &arena);
        T out{};
        if (!decode_doc(v, out)) {
            st.SkipWithError("decode failed");
            break;
        }
        benchmark::DoNotOptimize(out);
    }
    count(st, text->size(), items);
}

/// The public text API on the frame.
void bm_from_json(benchmark::State& st, const std::string* text, int items)
{
    for (auto _ : st) {
        streamchat::event e;
        if (streamchat::from_json(*text, e)) {
            st.SkipWithError("from_json failed");
            break;
        }
        benchmark::DoNotOptimize(e);
    }
    count(st, text->size(), items);
}

/// (c) Typed encode + serialize of the decoded document. Bytes are the output's.
template <class T>
void bm_encode_serialize(benchmark::State& st, const std::string* text, int items)
{
    const T doc = decoded<T>(*text);
    std::size_t out_bytes = 0;
    for (auto _ : st) {
        std::string s = json::serialize(encode_doc(doc));
        out_bytes = s.size();
        benchmark::DoNotOptimize(s);
    }
    count(st, out_bytes, items);
}

void register_all()
{
    const std::string* frame = &message_new_frame;
    const std::string* page = &query_channels_page;
    // Interleaved per document so that (a), (b), (c) of one document run back to back.
    benchmark::RegisterBenchmark("parse/message.new", bm_parse, frame, 1);
    benchmark::RegisterBenchmark("parse_decode/message.new", bm_parse_decode<streamchat::event>, frame, 1);
    benchmark::RegisterBenchmark("decode_only/message.new", bm_decode_only<streamchat::event>, frame, 1);
    benchmark::RegisterBenchmark("encode_serialize/message.new", bm_encode_serialize<streamchat::event>, frame, 1);
    benchmark::RegisterBenchmark("parse_arena/message.new", bm_parse_arena, frame, 1);
    benchmark::RegisterBenchmark("from_json/message.new", bm_from_json, frame, 1);
    benchmark::RegisterBenchmark("parse/query_channels_30", bm_parse, page, page_channels);
    benchmark::RegisterBenchmark("parse_decode/query_channels_30", bm_parse_decode<page_type>, page, page_channels);
    benchmark::RegisterBenchmark("decode_only/query_channels_30", bm_decode_only<page_type>, page, page_channels);
    benchmark::RegisterBenchmark("encode_serialize/query_channels_30", bm_encode_serialize<page_type>, page,
                                 page_channels);
    benchmark::RegisterBenchmark("parse_arena/query_channels_30", bm_parse_arena, page, page_channels);
    benchmark::RegisterBenchmark("arena_parse_decode/query_channels_30", bm_arena_parse_decode<page_type>, page,
                                 page_channels);
}

} // namespace

int main(int argc, char** argv)
{
    // Fail loudly, before measuring, if a document does not round-trip through the codec.
    (void)decoded<streamchat::event>(message_new_frame);
    (void)decoded<page_type>(query_channels_page);
    std::printf("documents: message.new frame %zu bytes; query_channels page %zu bytes (%d channels, %zu bytes each)\n",
                message_new_frame.size(), query_channels_page.size(), page_channels,
                query_channels_page.size() / page_channels);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    register_all();
    streamchat::bench::ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    // The README's codec table: frames/s of the event frame, channels/s of the page.
    for (const std::string d : {"message.new", "query_channels_30"}) {
        const std::string unit = d == "message.new" ? "frames/s" : "channels/s";
        reporter.record_rate("[" + d + "] raw boost::json::parse", "parse/" + d, unit);
        reporter.record_rate("[" + d + "] parse + typed decode", "parse_decode/" + d, unit);
        reporter.record_rate("[" + d + "] decode alone", "decode_only/" + d, unit);
        reporter.record_rate("[" + d + "] encode + serialize", "encode_serialize/" + d, unit);
    }

    std::printf("\nratios (same run, from items/s):\n");
    for (const std::string d : {"message.new", "query_channels_30"}) {
        reporter.print_ratio("[" + d + "] typed decode costs ", " the raw parse (parse + decode vs parse)",
                             "parse/" + d, "parse_decode/" + d);
        reporter.print_ratio("[" + d + "] decode alone costs ", " the raw parse", "parse/" + d, "decode_only/" + d);
        reporter.print_ratio("[" + d + "] encode + serialize costs ", " the raw parse", "parse/" + d,
                             "encode_serialize/" + d);
    }
    reporter.print_ratio("[message.new] from_json costs ", " the arena parse it is built on",
                         "parse_arena/message.new", "from_json/message.new");
    reporter.print_ratio("[query_channels_30] arena parse + decode is ", " faster than default-storage parse + decode",
                         "arena_parse_decode/query_channels_30", "parse_decode/query_channels_30");
    return reporter.exit_code(); // a benchmark whose own check failed fails the run
}
