// Text-level from_json / to_json of the model (include/streamchat/model/json.hpp).

#include <streamchat/model/json.hpp>

#include "model/codec.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <new>
#include <vector>

namespace streamchat {

namespace {

namespace json = boost::json;

/// Largest text accepted; REST bodies and WebSocket frames are far smaller.
constexpr std::size_t max_text_size = 64u * 1024u * 1024u;
/// Deepest nesting accepted; the model itself needs about ten levels.
constexpr std::size_t max_depth = 64;

void set_where(std::string* where, std::string_view text)
{
    if (where) {
        try {
            where->assign(text);
        } catch (...) {
            where->clear();
        }
    }
}

template <class T>
error_code from_json_impl(std::string_view text, T& out, std::string* where,
                          std::string_view root) noexcept
{
    set_where(where, {});
    try {
        if (text.size() > max_text_size) {
            set_where(where, "JSON text larger than 64 MiB");
            return make_error_code(error::payload_too_large);
        }
        json::parse_options opt;
        opt.max_depth = max_depth;
        // The parse tree lives only for this call: a monotonic arena makes it one allocation
        // per block. Values kept in `extra` are copied out into default storage.
        json::monotonic_resource arena;
        error_code ec;
        const json::value v = json::parse(json::string_view(text.data(), text.size()), ec, &arena, opt);
        if (ec) {
            set_where(where, "invalid JSON: " + ec.message());
            return make_error_code(error::malformed_json);
        }
        detail::decode_context ctx(root);
        ec = detail::decode(v, out, ctx);
        if (ec)
            set_where(where, ctx.message());
        return ec;
    } catch (const std::bad_alloc&) {
        set_where(where, "out of memory");
        return make_error_code(boost::system::errc::not_enough_memory);
    } catch (...) {
        set_where(where, "unexpected failure while decoding");
        return make_error_code(error::invalid_value);
    }
}

/// Replaces non-finite doubles with null, as JavaScript's JSON.stringify does. Custom data may
/// hold infinity (Boost.JSON reads `1e400` so) and Boost.JSON 1.81 would write it as `Infinity`,
/// which is not JSON: the text would not decode again. Iterative: app-built data may nest deeply.
void null_non_finite(json::value& root)
{
    std::vector<json::value*> todo{&root};
    while (!todo.empty()) {
        json::value& v = *todo.back();
        todo.pop_back();
        if (const double* d = v.if_double()) {
            if (!std::isfinite(*d))
                v = nullptr;
        } else if (json::array* a = v.if_array()) {
            for (auto& e : *a)
                todo.push_back(&e);
        } else if (json::object* o = v.if_object()) {
            for (auto& kv : *o)
                todo.push_back(&kv.value());
        }
    }
}

template <class T>
std::string to_json_impl(const T& v) noexcept
{
    try {
        json::value doc = detail::encode(v);
        null_non_finite(doc);
        return json::serialize(doc);
    } catch (...) {
        return {};
    }
}

} // namespace

#define STREAMCHAT_TEXT_CODEC(T, root)                                                            \
    error_code from_json(std::string_view text, T& out, std::string* where)                      \
    {                                                                                             \
        return from_json_impl(text, out, where, root);                                            \
    }                                                                                             \
    std::string to_json(const T& v) { return to_json_impl(v); }

// Objects are named by their type; whole frames and bodies use document-relative paths.
STREAMCHAT_TEXT_CODEC(user, "user")
STREAMCHAT_TEXT_CODEC(own_user, "own_user")
STREAMCHAT_TEXT_CODEC(channel_config, "channel_config")
STREAMCHAT_TEXT_CODEC(channel, "channel")
STREAMCHAT_TEXT_CODEC(member, "member")
STREAMCHAT_TEXT_CODEC(attachment, "attachment")
STREAMCHAT_TEXT_CODEC(reaction, "reaction")
STREAMCHAT_TEXT_CODEC(message, "message")
STREAMCHAT_TEXT_CODEC(read_state, "read_state")
STREAMCHAT_TEXT_CODEC(channel_state, "")
STREAMCHAT_TEXT_CODEC(event, "")
STREAMCHAT_TEXT_CODEC(api_error, "")

#undef STREAMCHAT_TEXT_CODEC

} // namespace streamchat
