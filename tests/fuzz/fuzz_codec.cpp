// Fuzzes the model codec: any bytes as JSON text into from_json for the wire types the SDK reads
// from the network. Decoding must never crash; what decodes must encode and decode again
// (round-trip stability). A round-trip failure is reported (stderr + a file `roundtrip-<type>-<n>`
// in the working directory) without stopping the run; STREAMCHAT_FUZZ_STRICT=1 aborts instead,
// so libFuzzer saves and minimises the input.
//
// A second encoding that differs from the first is only reported, never fatal: Boost.JSON 1.81
// parses some doubles 1 ULP off (boostorg/json#599, precise parsing came in 1.83), so
// 13e093 → 1.3000000000000001E94 → 1.3E94. Not a defect of the SDK.

#include <streamchat/model/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace {

void report(const char* type, std::string_view input, const std::string& encoded, const std::string& why,
            bool fatal = true)
{
    static int reported = 0;
    if (fatal && std::getenv("STREAMCHAT_FUZZ_STRICT")) {
        std::fprintf(stderr, "round-trip of %s failed: %s\nre-encoded: %s\n", type, why.c_str(), encoded.c_str());
        std::abort();
    }
    if (reported >= 20) return;
    ++reported;
    std::fprintf(stderr, "round-trip of %s failed: %s\nre-encoded: %s\n", type, why.c_str(), encoded.c_str());
    std::ofstream(std::string("roundtrip-") + type + "-" + std::to_string(reported), std::ios::binary)
        .write(input.data(), static_cast<std::streamsize>(input.size()));
}

template <class T>
void check(const char* type, std::string_view text)
{
    T v{};
    if (streamchat::from_json(text, v)) return;
    const std::string once = streamchat::to_json(v);
    T again{};
    std::string where;
    if (auto ec = streamchat::from_json(once, again, &where)) {
        report(type, text, once, ec.message() + " at " + where);
        return;
    }
    // Encoding what was decoded is a fixed point.
    const std::string twice = streamchat::to_json(again);
    if (twice != once) report(type, text, once, "second encoding differs: " + twice, false);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check<streamchat::event>("event", text);
    check<streamchat::channel_state>("channel_state", text);
    check<streamchat::message>("message", text);
    check<streamchat::user>("user", text);
    check<streamchat::api_error>("api_error", text);
    return 0;
}
