#ifndef STREAMCHAT_TESTS_BENCH_SUMMARY_HPP
#define STREAMCHAT_TESTS_BENCH_SUMMARY_HPP

// The summary sink behind `make bench`'s closing table: when STREAMCHAT_BENCH_SUMMARY names a
// file, each headline figure is appended to it as one TSV line
//   bench  figure  value  unit  peer_value  peer_name  ratio  note
// and tests/bench/summary.sh prints the lines of every binary as one table. Without the variable
// nothing is written. Each line is appended with its own write, so binaries can share the file.
//
// `ratio` says how many times better streamchat is than the peer: ours / peer for rates, peer /
// ours for times and bytes (as the README's tables quote them). A ratio between two benchmarks of
// one binary is a figure of its own, with unit "x".

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace streamchat::bench {

struct figure {
    std::string name;
    std::optional<double> value{}; ///< Empty: did not run (`note` says why).
    std::string unit{};
    std::optional<double> peer{};
    std::string peer_name{};
    std::optional<double> ratio{};
    std::string note{};
};

/// The bench column: "codec" for bench_codec unless a binary sets it (bench_list names its size).
inline std::string& summary_bench_name()
{
    static std::string name = [] {
        std::string n = program_invocation_short_name; // glibc; argv[0] is not at hand everywhere
        if (n.starts_with("bench_")) n.erase(0, 6);
        return n;
    }();
    return name;
}

namespace detail_summary {

/// TSV fields cannot hold tabs or newlines.
inline std::string field(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return out;
}

inline std::string number(const std::optional<double>& v)
{
    if (!v) return {};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", *v);
    return buf;
}

} // namespace detail_summary

/// Appends `f` to the summary file, if there is one.
inline void record(const figure& f)
{
    const char* path = std::getenv("STREAMCHAT_BENCH_SUMMARY");
    if (!path || !*path) return;
    using detail_summary::field;
    using detail_summary::number;
    const std::string line = field(summary_bench_name()) + '\t' + field(f.name) + '\t' + number(f.value) + '\t' +
                             field(f.unit) + '\t' + number(f.peer) + '\t' + field(f.peer_name) + '\t' +
                             number(f.ratio) + '\t' + field(f.note) + '\n';
    if (std::FILE* out = std::fopen(path, "a")) {
        std::fwrite(line.data(), 1, line.size(), out);
        std::fclose(out);
    } else {
        std::fprintf(stderr, "bench summary: cannot append to %s\n", path);
    }
}

} // namespace streamchat::bench

#endif
