#include "wire/base64.hpp"

#include <array>
#include <cstdint>

namespace streamchat::detail {

namespace {

constexpr std::string_view std_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t invalid = 0xff;

/// Maps a character of either alphabet to its 6-bit value.
constexpr std::array<std::uint8_t, 256> make_decode_table()
{
    std::array<std::uint8_t, 256> table{};
    for (auto& v : table)
        v = invalid;
    for (std::size_t i = 0; i < 64; ++i) {
        table[static_cast<unsigned char>(std_alphabet[i])] = static_cast<std::uint8_t>(i);
        table[static_cast<unsigned char>(url_alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr auto decode_table = make_decode_table();

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t n = byte(i) << 16;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        if (pad)
            out += "==";
    } else if (rest == 2) {
        const std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        if (pad)
            out += '=';
    }
    return out;
}

} // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, std_alphabet, true); }

std::string base64url_encode(std::string_view bytes) { return encode(bytes, url_alphabet, false); }

std::optional<std::string> base64_decode(std::string_view text)
{
    std::size_t padding = 0;
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
        if (++padding > 2)
            return std::nullopt;
    }
    if (text.size() % 4 == 1)
        return std::nullopt;
    // With padding present, the unpadded length must be what the padding implies.
    if (padding != 0 && (text.size() + padding) % 4 != 0)
        return std::nullopt;

    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const std::uint8_t v = decode_table[static_cast<unsigned char>(c)];
        if (v == invalid)
            return std::nullopt;
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

} // namespace streamchat::detail
