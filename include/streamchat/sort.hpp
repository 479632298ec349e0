#ifndef STREAMCHAT_SORT_HPP
#define STREAMCHAT_SORT_HPP

/// @file
/// Query sort order (docs/protocol.md §9.3): an ordered list of (field, direction), primary key
/// first, sent as `[{"field":"last_message_at","direction":-1}]`. A list, not an object, because
/// JSON object key order is not guaranteed (the JS client warns about exactly that).

#include <streamchat/error.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace streamchat {

/// Values as on the wire.
enum class sort_direction : int {
    ascending = 1,   ///< Smallest / oldest first.
    descending = -1, ///< Largest / newest first.
};

/// One sort key.
struct sort_field {
    /// The field, e.g. `last_message_at`, `created_at` or a custom field. Must not be empty.
    std::string field{};
    /// Default ascending, as the server assumes when `direction` is absent.
    sort_direction direction = sort_direction::ascending;

    friend bool operator==(const sort_field&, const sort_field&) = default;
};

/// An ordered list of sort keys. Building never fails; `validate()` reports problems.
///
/// @code
/// auto s = sort{{"last_message_at", sort_direction::descending}, {"cid", sort_direction::ascending}};
/// auto t = sort::by("created_at", sort_direction::descending).then("id", sort_direction::descending);
/// @endcode
class sort {
public:
    /// Most keys Stream accepts (`maxItems` of every query's `sort`). queryMembers accepts only 1;
    /// its caller passes that limit to `validate`.
    static constexpr std::size_t max_fields = 5;

    /// No keys: the server's default order for the query.
    sort() = default;
    sort(std::initializer_list<sort_field> fields) : fields_(fields) {}
    explicit sort(std::vector<sort_field> fields) : fields_(std::move(fields)) {}

    /// A sort with one key.
    static sort by(std::string field, sort_direction direction = sort_direction::ascending)
    {
        return sort{sort_field{std::move(field), direction}};
    }
    /// Appends a less significant key.
    sort& then(std::string field, sort_direction direction = sort_direction::ascending) &
    {
        fields_.push_back(sort_field{std::move(field), direction});
        return *this;
    }
    sort&& then(std::string field, sort_direction direction = sort_direction::ascending) &&
    {
        fields_.push_back(sort_field{std::move(field), direction});
        return std::move(*this);
    }

    const std::vector<sort_field>& fields() const noexcept { return fields_; }
    bool empty() const noexcept { return fields_.empty(); }
    std::size_t size() const noexcept { return fields_.size(); }

    /// `error::invalid_sort` with `*why` (if given) naming the problem when there are more than
    /// `max` keys, a field is empty, starts with `$` or appears twice, or a direction is not
    /// 1 or -1 (only reachable through a cast).
    error_code validate(std::string* why = nullptr, std::size_t max = max_fields) const;

    /// The wire JSON, e.g. `[{"field":"last_message_at","direction":-1}]`; `[]` when empty.
    std::string to_json() const;

    friend bool operator==(const sort&, const sort&) = default;

private:
    std::vector<sort_field> fields_{};
};

} // namespace streamchat

#endif
