#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace streamchat::loadtest {

namespace {

std::uint64_t rss_of(const std::string& status_path)
{
    std::ifstream in(status_path);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
    return 0;
}

} // namespace

child_process::~child_process() { stop(std::chrono::seconds(5)); }

std::optional<std::string> child_process::start(const std::vector<std::string>& argv, const std::string& marker,
                                                std::chrono::milliseconds timeout, std::string& why)
{
    if (running()) {
        why = "already running";
        return std::nullopt;
    }
    if (drain_.joinable()) drain_.join();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        why = std::string("pipe: ") + std::strerror(errno);
        return std::nullopt;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        why = "cannot start " + argv[0] + ": " + std::strerror(rc);
        return std::nullopt;
    }
    pid_ = pid;
    out_fd_ = fds[0];

    // Read until the marker line, with a deadline.
    std::string buffer, found;
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto nl = buffer.find('\n'); nl != std::string::npos) {
            std::string line = buffer.substr(0, nl);
            buffer.erase(0, nl + 1);
            if (line.find(marker) != std::string::npos) {
                found = std::move(line);
                if (!buffer.empty()) std::fprintf(stderr, "[emulator] %s", buffer.c_str());
                break;
            }
            std::fprintf(stderr, "[emulator] %s\n", line.c_str());
            continue;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            why = "no '" + marker + "' line from " + argv[0] + " within " + std::to_string(timeout.count()) + " ms";
            stop(std::chrono::seconds(2));
            return std::nullopt;
        }
        pollfd p{out_fd_, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        char chunk[4096];
        const auto got = ::read(out_fd_, chunk, sizeof chunk);
        if (got <= 0) {
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
            ::close(out_fd_);
            out_fd_ = -1;
            why = argv[0] + " exited before it was ready (status " +
                  std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")";
            return std::nullopt;
        }
        buffer.append(chunk, static_cast<std::size_t>(got));
    }
    // Forward the rest of the child's output; ends at EOF (the child exited).
    drain_ = std::thread([fd = out_fd_] {
        char chunk[4096];
        for (;;) {
            const auto got = ::read(fd, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;
            std::fprintf(stderr, "[emulator] %.*s", static_cast<int>(got), chunk);
        }
        ::close(fd);
    });
    out_fd_ = -1;
    return found;
}

void child_process::stop(std::chrono::milliseconds grace)
{
    if (pid_ > 0) {
        cpu_before_ += read_cpu();
        ::kill(pid_, SIGCONT); // a paused child cannot handle SIGTERM
        ::kill(pid_, SIGTERM);
        const auto until = std::chrono::steady_clock::now() + grace;
        int status = 0;
        for (;;) {
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_ || (r < 0 && errno != EINTR)) break;
            if (std::chrono::steady_clock::now() >= until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
    }
    if (drain_.joinable()) drain_.join();
}

bool child_process::pause() { return pid_ > 0 && ::kill(pid_, SIGSTOP) == 0; }
bool child_process::resume() { return pid_ > 0 && ::kill(pid_, SIGCONT) == 0; }

bool child_process::pin_to_cpu(int cpu)
{
    if (pid_ <= 0) return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return ::sched_setaffinity(pid_, sizeof set, &set) == 0;
}

double child_process::read_cpu() const
{
    if (pid_ <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name, which is in parentheses and may contain spaces.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double child_process::cpu_seconds() const { return cpu_before_ + read_cpu(); }

std::uint64_t child_process::rss_bytes() const
{
    return pid_ > 0 ? rss_of("/proc/" + std::to_string(pid_) + "/status") : 0;
}

std::uint64_t self_rss_bytes() { return rss_of("/proc/self/status"); }

std::string self_directory()
{
    char buf[4096];
    const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return {};
    std::string path(buf, static_cast<std::size_t>(n));
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

} // namespace streamchat::loadtest
