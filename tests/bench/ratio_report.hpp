#ifndef STREAMCHAT_TESTS_BENCH_RATIO_REPORT_HPP
#define STREAMCHAT_TESTS_BENCH_RATIO_REPORT_HPP

// A console reporter that also remembers each benchmark's items/s, so a binary can print the
// ratios between benchmarks measured side by side in the same run ("typed decode costs 2.1x the
// raw parse"). Ratios come from items/s: every benchmark here counts its own unit of work.
// Ratios and the figures a binary records also go to the summary sink (summary.hpp).

#include "summary.hpp"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace streamchat::bench {

class ratio_reporter : public benchmark::ConsoleReporter {
public:
    /// Colours only on a terminal (a custom reporter does not follow --benchmark_color).
    ratio_reporter() : ConsoleReporter(isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {}

    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.error_occurred) {
                // A benchmark that checks its own work and finds it wrong makes the run fail.
                failed_.push_back(r.benchmark_name() + ": " + r.error_message);
                continue;
            }
            // With --benchmark_repetitions, keep the mean; otherwise the single run.
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "mean") continue;
            const auto it = r.counters.find("items_per_second");
            if (it == r.counters.end()) continue;
            // Keyed by "function/args", without the min_time / real_time decorations.
            std::string name = r.run_name.function_name;
            if (!r.run_name.args.empty()) name += "/" + r.run_name.args;
            rate_[name] = it->second.value;
        }
    }

    /// items/s of `name` ("function/args", e.g. "BM_parse/frame"); 0 when it did not run.
    double rate(const std::string& name) const
    {
        const auto it = rate_.find(name);
        return it == rate_.end() ? 0.0 : it->second;
    }

    /// Prints "<before>X.XXx<after>" with X = rate(fast) / rate(slow), or says why it cannot, and
    /// records it in the summary as "<before>...<after>".
    bool print_ratio(const std::string& before, const std::string& after, const std::string& fast,
                     const std::string& slow) const
    {
        const double f = rate(fast), s = rate(slow);
        figure fig{.name = before + "..." + after, .unit = "x"};
        if (f <= 0 || s <= 0) {
            std::printf("%sn/a%s (%s or %s did not run)\n", before.c_str(), after.c_str(), fast.c_str(), slow.c_str());
            fig.note = fast + " or " + slow + " did not run";
            record(fig);
            return false;
        }
        std::printf("%s%.2fx%s\n", before.c_str(), f / s, after.c_str());
        fig.value = f / s;
        record(fig);
        return true;
    }

    /// Records items/s of benchmark `name` in the summary as `figure_name`, in `unit` (what an
    /// item is: "frames/s", "req/s"), or that it did not run.
    void record_rate(const std::string& figure_name, const std::string& name, const std::string& unit,
                     const std::string& note = {}) const
    {
        figure fig{.name = figure_name, .unit = unit, .note = note};
        if (const double r = rate(name); r > 0) fig.value = r;
        else fig.note = name + " did not run";
        record(fig);
    }

    /// "name: why" of every benchmark that stopped with an error (its own check failed).
    const std::vector<std::string>& failures() const noexcept { return failed_; }

    /// Prints the failures; returns the process exit code (1 when any benchmark failed).
    int exit_code() const
    {
        for (const auto& f : failed_) std::fprintf(stderr, "FAILED %s\n", f.c_str());
        return failed_.empty() ? 0 : 1;
    }

private:
    std::map<std::string, double> rate_;
    std::vector<std::string> failed_;
};

} // namespace streamchat::bench

#endif
