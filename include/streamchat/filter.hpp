#ifndef STREAMCHAT_FILTER_HPP
#define STREAMCHAT_FILTER_HPP

/// @file
/// A typed builder for Stream's Mongo-like filter language (docs/protocol.md §9.1): queryChannels,
/// queryUsers, queryMembers and search take one. Building never fails or throws; mistakes are
/// reported by `validate()`, which the SDK calls before anything is sent.
///
/// @par Wire form produced by `to_json()` (the rules, in full)
/// 1. A condition is a one-key object `{"<field>": <operand form>}`.
///    `$eq` with a scalar uses the bare value, `{"type":"messaging"}`, which Stream treats as
///    `$eq` and which is never ambiguous for a scalar. Every other operator, and `$eq` with an
///    array (`eq_array`), uses an operator object: `{"members":{"$in":["john"]}}`,
///    `{"members":{"$eq":["a","b"]}}`.
/// 2. `all()` is `{}`.
/// 3. An AND (`and_`, `&&`) is the implicit AND of Stream: the objects of its sub-filters merged
///    into one, keys in order, when no key occurs twice across them, e.g.
///    `{"type":"messaging","members":{"$in":["john"]}}` or `{"team":"red","$or":[…]}`. If a key
///    repeats (two conditions on one field, two `$or`s), it is `{"$and":[…]}` with each
///    sub-filter as its own object. An empty AND (invalid) is `{"$and":[]}`.
/// 4. OR and NOR are `{"$or":[…]}` / `{"$nor":[…]}`, one object per sub-filter.
/// 5. Timestamps are RFC 3339 UTC strings (`format_timestamp`); other scalars are JSON scalars.
///    The text is Boost.JSON's serialization of the same value the request body carries, so a
///    double may read `1.5E0`.

#include <streamchat/error.hpp>
#include <streamchat/timestamp.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace streamchat {

/// Operators applying to one field. `ne` and `nin` are legacy (absent from the current docs,
/// docs/protocol.md §9.1) but still accepted by Stream.
enum class filter_op {
    eq,           ///< `$eq`: equal (a scalar), or exactly this set (an array, `eq_array`).
    ne,           ///< `$ne`: not equal.
    gt,           ///< `$gt`
    gte,          ///< `$gte`
    lt,           ///< `$lt`
    lte,          ///< `$lte`
    in,           ///< `$in`: equal to one of the array's values.
    nin,          ///< `$nin`: equal to none of them.
    exists,       ///< `$exists`: the field is present (true) or absent (false).
    autocomplete, ///< `$autocomplete`: prefix/partial text match on name-like fields.
    q,            ///< `$q`: full-text match.
    contains,     ///< `$contains`: an array field contains the value.
};

/// The operator's wire name, e.g. "$autocomplete".
std::string_view to_string(filter_op op) noexcept;

/// A scalar operand: null, bool, integer, double, string or timestamp.
class filter_value {
public:
    using variant_type = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, timestamp>;

    /// JSON null.
    filter_value() noexcept = default;
    filter_value(std::nullptr_t) noexcept {}
    filter_value(bool b) noexcept : value_(b) {}
    /// Any integer type except the character types. Unsigned values above INT64_MAX become the
    /// nearest double, because the wire has no larger integer.
    template <std::integral T>
        requires(!std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, wchar_t>
                 && !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>)
    filter_value(T i) noexcept
    {
        if constexpr (std::unsigned_integral<T> && sizeof(T) >= sizeof(std::int64_t)) {
            if (i > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
                value_ = static_cast<double>(i);
                return;
            }
        }
        value_ = static_cast<std::int64_t>(i);
    }
    /// Non-finite values are representable but rejected by `filter::validate`.
    filter_value(double d) noexcept : value_(d) {}
    /// A null pointer is JSON null.
    filter_value(const char* s) { if (s != nullptr) value_ = std::string(s); }
    filter_value(std::string s) noexcept : value_(std::move(s)) {}
    filter_value(std::string_view s) : value_(std::string(s)) {}
    /// Any system-clock time point; sent as RFC 3339 UTC.
    template <class Duration>
    filter_value(std::chrono::sys_time<Duration> t) noexcept
        : value_(std::chrono::time_point_cast<std::chrono::nanoseconds>(t))
    {
    }

    const variant_type& get() const noexcept { return value_; }
    bool is_null() const noexcept { return std::holds_alternative<std::nullptr_t>(value_); }
    bool is_bool() const noexcept { return std::holds_alternative<bool>(value_); }
    bool is_string() const noexcept { return std::holds_alternative<std::string>(value_); }
    /// Integer, double or timestamp: the operands of ordered comparisons besides strings.
    bool is_number_or_time() const noexcept
    {
        return std::holds_alternative<std::int64_t>(value_) || std::holds_alternative<double>(value_)
            || std::holds_alternative<timestamp>(value_);
    }

    friend bool operator==(const filter_value&, const filter_value&) = default;

private:
    variant_type value_{nullptr};
};

namespace detail {
/// A range, other than `std::vector<filter_value>` itself, whose elements make filter values.
template <class R>
concept filter_value_range = std::ranges::input_range<const R>
    && std::constructible_from<filter_value, std::ranges::range_reference_t<const R>>
    && !std::same_as<std::remove_cvref_t<R>, std::vector<filter_value>>;
} // namespace detail

/// What a filter node is.
enum class filter_kind {
    all,       ///< `{}`: no condition; matches everything the user may read.
    condition, ///< One operator on one field.
    and_,      ///< All sub-filters (`$and`, or Stream's implicit AND).
    or_,       ///< At least one sub-filter (`$or`).
    nor,       ///< None of the sub-filters (`$nor`).
};

/// The logical operator's wire name ("$and", "$or", "$nor"); empty for `all` and `condition`.
std::string_view to_string(filter_kind kind) noexcept;

/// A filter expression: a small tree of conditions and logical operators, a plain value type.
///
/// Builders accept anything and never throw; `validate()` reports what Stream would reject or
/// what is certainly a mistake. A default-constructed filter is `all()`.
///
/// @code
/// auto f = filter::eq("type", "messaging") && filter::members_in({"john"})
///       && filter::gt("last_message_at", last_seen);
/// // {"type":"messaging","members":{"$in":["john"]},"last_message_at":{"$gt":"2024-01-01T10:00:00Z"}}
/// @endcode
class filter {
public:
    /// Deepest nesting of logical operators that `validate` accepts (deep nesting is "legal but
    /// discouraged", docs/protocol.md §9.1; queries this deep are a bug and cost recursion).
    static constexpr std::size_t max_depth = 8;
    /// Most conditions (leaves) in one filter that `validate` accepts. An SDK bound: Stream
    /// publishes none, and real queries use a handful.
    static constexpr std::size_t max_conditions = 100;
    /// Most values in one array operand. An SDK bound: Stream publishes none for filters
    /// (queryUsers pages of `id: {$in: …}` are sized to 100 by the caller).
    static constexpr std::size_t max_array_items = 1000;

    /// The empty filter `{}`.
    filter() = default;

    // ------------------------------------------------------------- leaves

    /// `{}`: matches everything.
    static filter all() { return filter{}; }
    /// `{"field": v}` (equality).
    static filter eq(std::string field, filter_value v);
    /// `{"field": {"$eq": [..]}}`: the field equals exactly this set (e.g. `members`,
    /// `filter_tags`, docs/protocol.md §9.2). Needs a non-empty array.
    static filter eq_array(std::string field, std::vector<filter_value> values);
    /// `{"field": {"$ne": v}}`.
    static filter ne(std::string field, filter_value v);
    /// `{"field": {"$gt": v}}`; v is a number, string or timestamp.
    static filter gt(std::string field, filter_value v);
    /// `{"field": {"$gte": v}}`.
    static filter gte(std::string field, filter_value v);
    /// `{"field": {"$lt": v}}`.
    static filter lt(std::string field, filter_value v);
    /// `{"field": {"$lte": v}}`.
    static filter lte(std::string field, filter_value v);
    /// `{"field": {"$in": [..]}}`; needs 1 to `max_array_items` values.
    static filter in(std::string field, std::vector<filter_value> values);
    /// `{"field": {"$nin": [..]}}`; needs 1 to `max_array_items` values.
    static filter nin(std::string field, std::vector<filter_value> values);
    /// `{"field": {"$exists": present}}`.
    static filter exists(std::string field, bool present = true);
    /// `{"field": {"$autocomplete": text}}`; text must not be empty.
    static filter autocomplete(std::string field, std::string text);
    /// `{"field": {"$q": text}}`; text must not be empty.
    static filter q(std::string field, std::string text);
    /// `{"field": {"$contains": v}}`; v is a non-null scalar.
    static filter contains(std::string field, filter_value v);
    /// `{"members": {"$in": [..]}}`: channels with any of these users as members. Production
    /// channel queries should always include the current user this way (docs/protocol.md §9.2).
    static filter members_in(std::vector<filter_value> user_ids) { return in("members", std::move(user_ids)); }
    /// Any operator with a scalar operand, for code that picks the operator at run time.
    static filter condition(std::string field, filter_op op, filter_value v);
    /// Any operator with an array operand.
    static filter condition(std::string field, filter_op op, std::vector<filter_value> values);

    /// The array builders also take any range whose elements convert to `filter_value`,
    /// e.g. a `std::vector<std::string>` of ids.
    template <class R>
        requires detail::filter_value_range<R>
    static filter in(std::string field, const R& values) { return in(std::move(field), to_values(values)); }
    template <class R>
        requires detail::filter_value_range<R>
    static filter nin(std::string field, const R& values) { return nin(std::move(field), to_values(values)); }
    template <class R>
        requires detail::filter_value_range<R>
    static filter eq_array(std::string field, const R& values) { return eq_array(std::move(field), to_values(values)); }
    template <class R>
        requires detail::filter_value_range<R>
    static filter members_in(const R& user_ids) { return in("members", to_values(user_ids)); }

    // ------------------------------------------------------------- logical

    /// All of `parts` (at least 1). Kept as given; `&&` flattens instead.
    static filter and_(std::vector<filter> parts);
    /// At least one of `parts` (at least 2, as the JS client's type demands).
    static filter or_(std::vector<filter> parts);
    /// None of `parts` (at least 1).
    static filter nor(std::vector<filter> parts);

    // ------------------------------------------------------------- inspection

    filter_kind kind() const noexcept { return kind_; }
    /// The field of a condition; empty otherwise.
    const std::string& field() const noexcept { return field_; }
    /// The operator of a condition (`eq` for other kinds).
    filter_op op() const noexcept { return op_; }
    /// True when a condition's operand is an array (`values()`), false for a scalar (`value()`).
    bool has_array_operand() const noexcept { return array_; }
    /// The scalar operand of a condition; null for anything else.
    const filter_value& value() const noexcept;
    /// The array operand of a condition (one element for a scalar operand; empty otherwise).
    const std::vector<filter_value>& values() const noexcept { return operand_; }
    /// The sub-filters of a logical node; empty otherwise.
    const std::vector<filter>& children() const noexcept { return children_; }

    /// Checks everything Stream or common sense rejects, and returns `error::invalid_filter`
    /// with `*why` (if given) naming the place, e.g. `$or[1].members.$in: $in needs a non-empty array`.
    /// Rejected: empty field names, names starting with `$`, strings that are not UTF-8,
    /// non-finite doubles; `$in`/`$nin`/`eq_array` without 1..`max_array_items` values;
    /// `$ne` with an array; `$gt`..`$lte` with null, bool or an array; `$exists` without a bool;
    /// `$autocomplete`/`$q` without a non-empty string; `$contains` with null or an array;
    /// `$and`/`$nor` with no sub-filter, `$or` with fewer than 2; logical nesting deeper than
    /// `max_depth`; more than `max_conditions` conditions.
    error_code validate(std::string* why = nullptr) const;

    /// The exact wire JSON (rules in this header's file comment). Meaningful for valid filters;
    /// an invalid one is still rendered, never thrown on.
    std::string to_json() const;

    friend bool operator==(const filter&, const filter&) = default;

private:
    template <class R>
    static std::vector<filter_value> to_values(const R& values)
    {
        std::vector<filter_value> out;
        for (auto&& v : values)
            out.emplace_back(v);
        return out;
    }

    filter_kind kind_ = filter_kind::all;
    std::string field_{};
    filter_op op_ = filter_op::eq;
    bool array_ = false;
    std::vector<filter_value> operand_{};
    std::vector<filter> children_{};
};

/// AND of two filters. Flattens: `a && b && c` is one AND of three, and `all()` is the identity.
/// An AND that is itself invalid (no sub-filter) is nested, not flattened, so it stays reported.
filter operator&&(filter a, filter b);

/// OR of two filters. Flattens nested ORs of 2+ sub-filters. `all() || x` is `all()`: the
/// empty filter already matches everything, so start an OR chain from the first condition.
filter operator||(filter a, filter b);

} // namespace streamchat

#endif
