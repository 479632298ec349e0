#ifndef STREAMCHAT_TESTS_UNIT_MODEL_JSON_EQUAL_HPP
#define STREAMCHAT_TESTS_UNIT_MODEL_JSON_EQUAL_HPP

// Semantic JSON comparison for codec round trips: key order is ignored, null members count as
// absent, numbers compare by value, and strings that are both RFC 3339 times compare as instants
// (the encoder writes the fewest fraction digits, so "…40.130000000Z" comes back as "…40.13Z").

#include <streamchat/timestamp.hpp>

#include <boost/json.hpp>

#include <string>

namespace streamchat::test {

/// True when `a` equals `b` as above; with `subset`, `b` may have extra object members.
/// On a difference, `why` names the first differing path.
inline bool json_equivalent(const boost::json::value& a, const boost::json::value& b,
                            std::string& why, bool subset = false, const std::string& path = "$")
{
    namespace json = boost::json;
    if (a.is_number() && b.is_number()) {
        bool same = false;
        if (a.is_double() || b.is_double())
            same = a.to_number<double>() == b.to_number<double>();
        else if (a.is_int64() && b.is_int64())
            same = a.get_int64() == b.get_int64();
        else if (a.is_uint64() && b.is_uint64())
            same = a.get_uint64() == b.get_uint64();
        else // mixed signedness: equal only if both are non-negative and the same
            same = (a.is_int64() ? a.get_int64() >= 0 : b.get_int64() >= 0) &&
                   a.to_number<std::uint64_t>() == b.to_number<std::uint64_t>();
        if (!same)
            why = path + ": " + json::serialize(a) + " != " + json::serialize(b);
        return same;
    }
    if (a.kind() != b.kind()) {
        why = path + ": " + json::serialize(a) + " != " + json::serialize(b);
        return false;
    }
    switch (a.kind()) {
    case json::kind::string: {
        const auto& sa = a.get_string();
        const auto& sb = b.get_string();
        if (sa == sb)
            return true;
        const auto ta = parse_timestamp(std::string_view(sa.data(), sa.size()));
        const auto tb = parse_timestamp(std::string_view(sb.data(), sb.size()));
        if (ta && tb && *ta == *tb)
            return true;
        why = path + ": \"" + std::string(sa) + "\" != \"" + std::string(sb) + "\"";
        return false;
    }
    case json::kind::array: {
        const auto& xa = a.get_array();
        const auto& xb = b.get_array();
        if (xa.size() != xb.size()) {
            why = path + ": array sizes " + std::to_string(xa.size()) + " != " + std::to_string(xb.size());
            return false;
        }
        for (std::size_t i = 0; i < xa.size(); ++i)
            if (!json_equivalent(xa[i], xb[i], why, subset, path + "[" + std::to_string(i) + "]"))
                return false;
        return true;
    }
    case json::kind::object: {
        const auto& oa = a.get_object();
        const auto& ob = b.get_object();
        for (const auto& kv : oa) {
            if (kv.value().is_null())
                continue;
            const std::string p = path + "." + std::string(kv.key());
            const json::value* other = ob.if_contains(kv.key());
            if (!other || other->is_null()) {
                why = p + ": missing on the right";
                return false;
            }
            if (!json_equivalent(kv.value(), *other, why, subset, p))
                return false;
        }
        if (!subset) {
            for (const auto& kv : ob) {
                if (!kv.value().is_null() && !oa.if_contains(kv.key())) {
                    why = path + "." + std::string(kv.key()) + ": extra on the right";
                    return false;
                }
            }
        }
        return true;
    }
    default:
        if (a == b)
            return true;
        why = path + ": " + json::serialize(a) + " != " + json::serialize(b);
        return false;
    }
}

} // namespace streamchat::test

#endif
