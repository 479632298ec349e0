#ifndef STREAMCHAT_MODEL_CODEC_FIELDS_HPP
#define STREAMCHAT_MODEL_CODEC_FIELDS_HPP

/// @file
/// Table-driven object codec shared by the model codecs (private to src/model).
///
/// Each model type lists its fields once, as a static array of `field<T>` (wire name, decode
/// and encode function, required flag). One generic loop then decodes any object in a single
/// pass over its members: a key is matched against the table (length first, then bytes — no
/// allocation, no hashing of std::string), unknown keys go to `extra`, and `custom` is
/// flattened. The same table drives encoding, so decode and encode cannot disagree on names.

#include "model/codec.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace streamchat::detail {

template <class T>
struct field {
    std::string_view name;
    error_code (*decode)(const json::value&, T&, decode_context&);
    void (*encode)(const T&, json::object&, std::string_view);
    bool required;
};

template <class V>
void put(json::object& out, std::string_view name, const V& v)
{
    out.emplace(name, encode(v));
}

template <class V>
void put(json::object& out, std::string_view name, const std::optional<V>& v)
{
    if (v)
        out.emplace(name, encode(*v));
}

template <class T, auto Member>
error_code decode_member(const json::value& v, T& o, decode_context& ctx)
{
    return decode(v, o.*Member, ctx);
}

template <class T, auto Member>
void encode_member(const T& o, json::object& out, std::string_view name)
{
    put(out, name, o.*Member);
}

/// `T::m` under the wire name "m".
#define STREAMCHAT_FIELD(T, m)                                                                    \
    ::streamchat::detail::field<T>                                                                \
    {                                                                                             \
        #m, &::streamchat::detail::decode_member<T, &T::m>,                                       \
            &::streamchat::detail::encode_member<T, &T::m>, false                                 \
    }
/// `T::m` under the wire name "m", required on decode.
#define STREAMCHAT_REQUIRED(T, m)                                                                 \
    ::streamchat::detail::field<T>                                                                \
    {                                                                                             \
        #m, &::streamchat::detail::decode_member<T, &T::m>,                                       \
            &::streamchat::detail::encode_member<T, &T::m>, true                                  \
    }

inline constexpr std::size_t no_field = static_cast<std::size_t>(-1);

template <class T, std::size_t N>
constexpr std::size_t find_field(const field<T> (&table)[N], std::string_view key) noexcept
{
    for (std::size_t i = 0; i < N; ++i) {
        const std::string_view name = table[i].name;
        if (name.size() == key.size() && name[0] == key[0] &&
            std::memcmp(name.data(), key.data(), key.size()) == 0)
            return i;
    }
    return no_field;
}

/// Decodes the members of `obj` listed in `table` into `out`; unknown members go to `*extra`
/// (dropped when `extra` is null). `out` should be default-initialised by the caller.
template <class T, std::size_t N>
error_code decode_fields(const json::object& obj, T& out, const field<T> (&table)[N],
                         json::object* extra, decode_context& ctx)
{
    static_assert(N <= 64, "the required-field mask has 64 bits");
    std::uint64_t seen = 0;
    const json::object* custom = nullptr;
    for (const auto& kv : obj) {
        const std::string_view key = kv.key();
        const json::value& val = kv.value();
        if (key.empty()) {
            if (extra)
                extra->insert_or_assign(key, val);
            continue;
        }
        const std::size_t i = find_field(table, key);
        if (i != no_field) {
            if (val.is_null())
                continue; // null = absent
            auto s = ctx.enter(key);
            if (error_code ec = table[i].decode(val, out, ctx))
                return ec;
            seen |= std::uint64_t{1} << i;
        } else if (key == "custom" && val.is_object()) {
            custom = &val.get_object();
        } else if (key == "custom" && val.is_null()) {
            // an empty custom map, nothing to keep
        } else if (extra) {
            extra->insert_or_assign(key, val);
        }
    }
    if (custom && extra) {
        for (const auto& kv : *custom) {
            const std::string_view key = kv.key();
            // A custom key named "custom" is dropped like a modelled name: written back flat it
            // would be read as the custom object again and flattened (no stable round trip).
            if (key != "custom" && (key.empty() || find_field(table, key) == no_field))
                extra->emplace(key, kv.value()); // emplace: a top-level key of the same name wins
        }
    }
    for (std::size_t i = 0; i < N; ++i) {
        if (table[i].required && (seen & (std::uint64_t{1} << i)) == 0)
            return ctx.fail_missing(table[i].name);
    }
    return {};
}

/// Writes the fields of `table`, then the keys of `extra` not already written.
template <class T, std::size_t N>
void encode_fields(const T& in, const field<T> (&table)[N], const json::object* extra,
                   json::object& out)
{
    out.reserve(out.size() + N + (extra ? extra->size() : 0));
    for (const field<T>& f : table)
        f.encode(in, out, f.name);
    if (extra) {
        for (const auto& kv : *extra)
            out.emplace(kv.key(), kv.value());
    }
}

/// The object of `v`, or a wrong_type failure.
inline const json::object* expect_object(const json::value& v, decode_context& ctx, error_code& ec)
{
    const json::object* o = v.if_object();
    if (!o)
        ec = ctx.fail(error::wrong_type, "expected an object");
    return o;
}

} // namespace streamchat::detail

#endif
