#ifndef STREAMCHAT_LOGGER_HPP
#define STREAMCHAT_LOGGER_HPP

/// @file
/// Where a client reports what the application could not see otherwise: frames it skipped,
/// connections it lost and re-established, recoveries that failed.

#include <functional>
#include <string_view>

namespace streamchat {

enum class log_level { debug, info, warning, error };

/// A sink and a threshold. Messages are only formatted when they would reach the sink.
struct logger {
    /// Messages below this level are ignored. Default warning.
    log_level level = log_level::warning;
    /// Receives each message, on the client's executor. Empty (the default): nothing is logged.
    std::function<void(log_level, std::string_view)> sink{};

    bool enabled(log_level l) const noexcept { return sink && l >= level; }
    void operator()(log_level l, std::string_view message) const
    {
        if (enabled(l)) sink(l, message);
    }
};

} // namespace streamchat

#endif
