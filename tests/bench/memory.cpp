// Memory per channel, side by side in one run: the client's channel store holding N channel
// summaries (what a list row needs: name, image, last message preview, its author and id, unread
// and member counts) for N = 5,000 and 100,000, against the official stream-chat JS client holding
// the same channels the way queryChannels hydrates them (tests/bench/js_memory.mjs, run as a child
// process when node and tests/conformance/node_modules are present; STREAMCHAT_BENCH_JS=0 skips it).
//
// C++ figures: heap bytes in use (mallinfo2) before and after filling the store, per channel, and
// the process RSS after. Each channel is filled as stages 1 and 2 of channel_list leave it: from a
// channel_state with the channel's data, one message and the own read state.
// Targets: <= 400 bytes per summary; 100,000 channels in <= 64 MB RSS.

#include "js_peer.hpp"
#include "summary.hpp"

#include <streamchat/channel_store.hpp>
#include <streamchat/timestamp.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <map>
#include <string>
#include <unistd.h>

namespace {

const std::string own_user = "bench-me";

long rss_bytes()
{
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

/// Channel i as a page of queryChannels (message_limit 1) returns it.
streamchat::channel_state make_channel(int i)
{
    const auto at = *streamchat::parse_timestamp("2024-05-02T10:00:00Z") + std::chrono::seconds(i);
    streamchat::channel_state st;
    st.channel.type = "messaging";
    st.channel.id = "room-" + std::to_string(i);
    st.channel.cid = "messaging:room-" + std::to_string(i);
    st.channel.extra["name"] = "Room " + std::to_string(i);
    if (i % 2 == 0) st.channel.extra["image"] = "https://us-east.stream-io-cdn.com/1234/images/avatar-" + std::to_string(i) + ".jpg";
    st.channel.member_count = 4;
    st.channel.last_message_at = at;
    streamchat::message m;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-1c2d-4e5f-8a9b-%012d", i * 2654435761u, i);
    m.id = id;
    m.user.id = "user-" + std::to_string(i % 200);
    m.text = "The deploy finished; all checks are green and the dashboards look normal again.";
    m.created_at = at;
    st.messages.push_back(m);
    streamchat::read_state r;
    r.user.id = own_user;
    r.unread_messages = i % 5;
    st.read.push_back(r);
    return st;
}

struct cpp_result {
    double bytes_per_channel = 0;
    double rss_mb = 0;
};

cpp_result measure_cpp(int n)
{
    // Build the inputs first, so that only the store's own memory is counted.
    std::vector<streamchat::channel_state> input;
    input.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) input.push_back(make_channel(i));
    auto store = std::make_unique<streamchat::channel_store>(own_user);
    const std::size_t before = heap_in_use();
    for (const auto& st : input) store->upsert(st, false);
    const std::size_t after = heap_in_use();
    input.clear();
    input.shrink_to_fit();
    malloc_trim(0);
    cpp_result r;
    r.bytes_per_channel = static_cast<double>(after - before) / n;
    r.rss_mb = static_cast<double>(rss_bytes()) / (1024.0 * 1024.0);
    if (store->size() != static_cast<std::size_t>(n)) {
        std::fprintf(stderr, "bench_memory: the store holds %zu of %d channels\n", store->size(), n);
        std::exit(1);
    }
    // The packed summaries must read back whole, or the figure above would flatter them.
    const auto last = store->summary("messaging:room-" + std::to_string(n - 1));
    if (!last || last->name != "Room " + std::to_string(n - 1) || last->last_message_preview.size() < 70 ||
        last->last_message_user_id != "user-" + std::to_string((n - 1) % 200)) {
        std::fprintf(stderr, "bench_memory: channel %d does not read back\n", n - 1);
        std::exit(1);
    }
    return r;
}

/// bytes per channel by N, from the JS peer; empty when it did not run (`note` says why, and
/// `failed` whether it ran and failed rather than being unavailable here).
std::map<int, double> run_js(std::string& note, bool& failed)
{
    std::map<int, double> out;
    const std::filesystem::path conformance = STREAMCHAT_CONFORMANCE_DIR;
    note = streamchat::bench::js_peer_unavailable(conformance);
    if (!note.empty()) return out;
    const std::string cmd = std::string("node --expose-gc '") + STREAMCHAT_BENCH_JS_SCRIPT + "' '" +
                            conformance.string() + "' 5000 100000 2>&1";
    std::printf("\nJS peer: %s\n", cmd.c_str());
    note = streamchat::bench::run_js_peer_command(cmd, [&](const char* line) {
        int n = 0;
        double bytes = 0;
        if (std::sscanf(line, "RESULT %d %lf", &n, &bytes) == 2) out[n] = bytes;
    });
    failed = !note.empty();
    return out;
}

} // namespace

int main()
{
    std::printf("channel summaries in the client's store (stages 1 + 2: channel data, last message, own read)\n");
    std::map<int, cpp_result> cpp;
    for (int n : {5000, 100000}) {
        cpp[n] = measure_cpp(n);
        std::printf("  %7d channels: %7.0f heap bytes per channel, process RSS %.1f MB\n", n, cpp[n].bytes_per_channel,
                    cpp[n].rss_mb);
    }
    std::string note;
    bool js_failed = false;
    const auto js = run_js(note, js_failed);
    if (!note.empty()) std::printf("%s\n", note.c_str());
    std::printf("\n%-10s %18s %14s %18s %10s\n", "channels", "C++ bytes/channel", "C++ RSS (MB)", "JS bytes/channel",
                "JS / C++");
    for (const auto& [n, r] : cpp) {
        const auto j = js.find(n);
        if (j != js.end())
            std::printf("%-10d %18.0f %14.1f %18.0f %9.1fx\n", n, r.bytes_per_channel, r.rss_mb, j->second,
                        j->second / r.bytes_per_channel);
        else
            std::printf("%-10d %18.0f %14.1f %18s %10s\n", n, r.bytes_per_channel, r.rss_mb, "n/a", "n/a");
    }
    const auto& big = cpp[100000];
    std::printf("\ntargets: <= 400 bytes per summary: %.0f -> %s; 100,000 channels in <= 64 MB RSS: %.1f MB -> %s\n",
                big.bytes_per_channel, big.bytes_per_channel <= 400 ? "met" : "NOT met", big.rss_mb,
                big.rss_mb <= 64 ? "met" : "NOT met");

    for (const auto& [n, r] : cpp) {
        const std::string channels = std::to_string(n) + " channels";
        streamchat::bench::figure f{.name = channels + ": heap bytes per channel", .value = r.bytes_per_channel,
                                    .unit = "B", .peer_name = "stream-chat JS"};
        if (const auto j = js.find(n); j != js.end() && r.bytes_per_channel > 0) {
            f.peer = j->second;
            f.ratio = j->second / r.bytes_per_channel;
        } else {
            f.note = note.empty() ? "no JS figure" : note;
        }
        streamchat::bench::record(f);
        streamchat::bench::record({.name = channels + ": C++ process RSS", .value = r.rss_mb, .unit = "MB"});
    }
    if (js_failed) { // the comparison is what this binary is for
        std::fprintf(stderr, "FAILED the JS peer: %s\n", note.c_str());
        return 1;
    }
    return 0;
}
