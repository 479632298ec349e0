#ifndef STREAMCHAT_TOOLS_LOADTEST_CHILD_PROCESS_HPP
#define STREAMCHAT_TOOLS_LOADTEST_CHILD_PROCESS_HPP

// The emulator as a child process: started with posix_spawn, its "listening on" line read from a
// pipe (the rest of its output forwarded to our stderr by a thread, so a chatty child can never
// block on a full pipe), stalled with SIGSTOP/SIGCONT, stopped with SIGTERM (SIGKILL after a
// grace period), and its CPU time and RSS read from /proc.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace streamchat::loadtest {

class child_process {
public:
    child_process() = default;
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Starts `argv[0]` (a path, or a name looked up in PATH) and waits up to `timeout` for a
    /// line containing `marker` on its standard output. Returns that line, or nothing with `why`.
    std::optional<std::string> start(const std::vector<std::string>& argv, const std::string& marker,
                                     std::chrono::milliseconds timeout, std::string& why);

    /// SIGTERM, then SIGKILL when it has not exited after `grace`. Reaps it. Idempotent.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
    /// SIGSTOP / SIGCONT: a server that stalls without closing its sockets.
    bool pause();
    bool resume();
    /// Pins the child (all its threads existing now and later ones) to one CPU.
    bool pin_to_cpu(int cpu);

    bool running() const noexcept { return pid_ > 0; }
    pid_t pid() const noexcept { return pid_; }

    /// User + system CPU seconds of the child so far (from /proc/<pid>/stat); total of the
    /// previous incarnations included.
    double cpu_seconds() const;
    /// Resident set size in bytes (from /proc/<pid>/status); 0 when not running.
    std::uint64_t rss_bytes() const;

private:
    double read_cpu() const;

    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::thread drain_;
    double cpu_before_ = 0; ///< CPU seconds of earlier incarnations (restarts).
};

/// Resident set size of this process in bytes (VmRSS), 0 when unreadable.
std::uint64_t self_rss_bytes();

/// The directory of this executable ("" when unknown).
std::string self_directory();

} // namespace streamchat::loadtest

#endif
