#ifndef STREAMCHAT_TESTS_BENCH_JS_PEER_HPP
#define STREAMCHAT_TESTS_BENCH_JS_PEER_HPP

// The official stream-chat JS client as a benchmark's peer: whether it can run here (node on the
// PATH, tests/conformance/node_modules installed, STREAMCHAT_BENCH_JS not 0), and running its
// script as a child process whose output is echoed and handed over line by line.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <sys/wait.h>

namespace streamchat::bench {

/// Why the JS peer cannot run here; empty when it can.
inline std::string js_peer_unavailable(const std::filesystem::path& conformance_dir)
{
    if (const char* js = std::getenv("STREAMCHAT_BENCH_JS"); js && std::string_view(js) == "0")
        return "STREAMCHAT_BENCH_JS=0: JS peer skipped";
    if (std::system("command -v node >/dev/null 2>&1") != 0) return "node not found on PATH: JS peer skipped";
    if (!std::filesystem::exists(conformance_dir / "node_modules" / "stream-chat" / "package.json"))
        return "tests/conformance/node_modules is missing (run `npm ci` in tests/conformance): JS peer skipped";
    return {};
}

/// Runs `cmd` (stderr folded into stdout), echoes every line and passes it to `on_line`. Returns
/// why it failed, or an empty string.
inline std::string run_js_peer_command(const std::string& cmd, const std::function<void(const char*)>& on_line)
{
    std::fflush(stdout);
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return "cannot start node: JS peer skipped";
    char line[4096];
    while (std::fgets(line, sizeof line, p)) {
        std::fputs(line, stdout);
        on_line(line);
    }
    const int status = pclose(p);
    if (status == 0) return {};
    if (status != -1 && WIFEXITED(status)) return "node exited with status " + std::to_string(WEXITSTATUS(status));
    if (status != -1 && WIFSIGNALED(status)) return "node was killed by signal " + std::to_string(WTERMSIG(status));
    return "node did not finish (pclose failed)";
}

} // namespace streamchat::bench

#endif
