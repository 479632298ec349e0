#include "wire/validation.hpp"

#include <algorithm>

namespace streamchat::detail {
namespace {

bool is_word(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

error_code fail(error e, std::string& why, std::string text)
{
    why = std::move(text);
    return e;
}

std::string quoted(std::string_view s)
{
    // Keep messages readable and bounded even for hostile input.
    std::string out = "\"";
    for (char c : s.substr(0, 64)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    if (s.size() > 64) out += "...";
    return out + "\"";
}

} // namespace

error_code check_channel_type(std::string_view type, std::string& why)
{
    if (type.empty()) return fail(error::invalid_id, why, "channel type is empty");
    if (type.size() > 64) return fail(error::invalid_id, why, "channel type is longer than 64 characters");
    if (!std::all_of(type.begin(), type.end(), [](char c) { return is_word(c) || c == '-'; }))
        return fail(error::invalid_id, why, "channel type " + quoted(type) + " may only contain letters, digits, '_' and '-'");
    return {};
}

error_code check_channel_id(std::string_view id, std::string& why)
{
    if (id.empty()) return fail(error::invalid_id, why, "channel id is empty");
    if (id.size() > 64) return fail(error::invalid_id, why, "channel id is longer than 64 characters");
    if (!std::all_of(id.begin(), id.end(), [](char c) { return is_word(c) || c == '-' || c == '!'; }))
        return fail(error::invalid_id, why, "channel id " + quoted(id) + " may only contain letters, digits, '_', '-' and '!'");
    return {};
}

namespace {
error_code check_token_like(std::string_view id, std::string_view what, std::string& why, bool allow_slash)
{
    if (id.empty()) return fail(error::invalid_id, why, std::string(what) + " is empty");
    if (id.size() > 255) return fail(error::invalid_id, why, std::string(what) + " is longer than 255 bytes");
    for (char c : id) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || (!allow_slash && c == '/'))
            return fail(error::invalid_id, why, std::string(what) + " " + quoted(id) + " contains a forbidden character");
    }
    return {};
}
} // namespace

error_code check_user_id(std::string_view id, std::string_view what, std::string& why)
{
    return check_token_like(id, what, why, true);
}

error_code check_message_id(std::string_view id, std::string_view what, std::string& why)
{
    return check_token_like(id, what, why, false);
}

error_code check_range(const std::optional<int>& value, int min, int max, std::string_view what, std::string& why)
{
    if (!value) return {};
    if (*value < min || *value > max)
        return fail(*value > max ? error::limit_exceeded : error::invalid_argument, why,
                    std::string(what) + " is " + std::to_string(*value) + ", allowed " + std::to_string(min) +
                        ".." + std::to_string(max));
    return {};
}

error_code check_count(std::size_t count, std::size_t min, std::size_t max, std::string_view what, std::string& why)
{
    if (count < min)
        return fail(error::invalid_argument, why,
                    std::string(what) + " needs at least " + std::to_string(min) + " item(s)");
    if (count > max)
        return fail(error::limit_exceeded, why,
                    std::string(what) + " has " + std::to_string(count) + " items, at most " + std::to_string(max) +
                        " allowed");
    return {};
}

} // namespace streamchat::detail
