#include "realtime/frames.hpp"

#include "model/codec.hpp"

#include <boost/json/parse.hpp>

namespace streamchat::detail {

namespace json = boost::json;

namespace {

bool parse_object(std::string_view frame, json::value& out)
{
    json::parse_options opts;
    opts.max_depth = 64;
    error_code ec;
    out = json::parse(json::string_view(frame.data(), frame.size()), ec, {}, opts);
    return !ec && out.is_object();
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

} // namespace

first_frame read_first_frame(std::string_view frame)
{
    first_frame out;
    json::value v;
    if (!parse_object(frame, v)) return out;
    const json::object& o = v.get_object();
    if (const auto* err = o.if_contains("error"); err && !o.contains("type")) {
        out.what = first_frame::refused;
        if (const auto* eo = err->if_object())
            if (const auto* c = eo->if_contains("code"); c && c->is_int64() && c->get_int64() >= INT32_MIN &&
                                                         c->get_int64() <= INT32_MAX)
                out.code = static_cast<int>(c->get_int64());
        return out;
    }
    const auto* id = o.if_contains("connection_id");
    if (!id || !id->is_string() || id->get_string().empty()) return out;
    out.what = first_frame::handshake;
    out.connection_id = std::string(id->get_string());
    return out;
}

error_code decode_event_frame(std::string_view frame, event& out, std::string* why)
{
    json::value v;
    if (!parse_object(frame, v)) {
        if (why) *why = "frame is not one JSON object";
        return error::malformed_frame;
    }
    decode_context ctx;
    if (auto ec = decode(v, out, ctx)) {
        if (why) *why = ctx.message();
        return ec;
    }
    return {};
}

bool looks_like_health_check(std::string_view frame) noexcept
{
    constexpr std::string_view value = "\"health.check\"";
    for (auto pos = frame.find(value); pos != std::string_view::npos; pos = frame.find(value, pos + 1)) {
        auto i = pos;
        while (i > 0 && is_space(frame[i - 1])) --i;
        if (i == 0 || frame[i - 1] != ':') continue;
        --i;
        while (i > 0 && is_space(frame[i - 1])) --i;
        if (i >= 6 && frame.substr(i - 6, 6) == "\"type\"") return true;
    }
    return false;
}

} // namespace streamchat::detail
