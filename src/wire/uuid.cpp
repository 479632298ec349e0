#include "wire/uuid.hpp"

#include <cstdint>
#include <random>

namespace streamchat::detail {

std::string make_uuid_v4()
{
    thread_local std::mt19937_64 engine{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    std::uint64_t hi = engine();
    std::uint64_t lo = engine();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; // version 4
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; // variant 10xx

    static constexpr char digits[] = "0123456789abcdef";
    std::string out(36, '-');
    int pos = 0;
    auto put = [&](std::uint64_t v, int nibbles) {
        for (int i = nibbles - 1; i >= 0; --i) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
            out[static_cast<std::size_t>(pos++)] = digits[(v >> (i * 4)) & 0xf];
        }
    };
    put(hi, 16);
    put(lo, 16);
    return out;
}

} // namespace streamchat::detail
