#include "list/keyset_pager.hpp"

#include <algorithm>

namespace streamchat::detail {

keyset_pager::keyset_pager(filter base, streamchat::sort order, const keyset_pager_config& cfg)
    : base_(std::move(base)),
      limit_(std::clamp(cfg.limit, 1, max_limit)),
      offset_rows_(std::clamp(cfg.offset_rows, 0, max_offset))
{
    if (order.empty())
        order = streamchat::sort::by("last_updated", sort_direction::descending);
    const sort_field primary = order.fields().front();
    key_desc_ = primary.direction == sort_direction::descending;

    const auto& fields = order.fields();
    const auto cid_at = std::find_if(fields.begin(), fields.end(),
                                     [](const sort_field& f) { return f.field == "cid"; });
    if (cid_at != fields.end()) {
        cid_desc_ = cid_at->direction == sort_direction::descending;
        cid_follows_key_ = cid_at - fields.begin() <= 1;
    } else {
        // The primary key's direction, as the emulator's implicit tie-break: one direction
        // throughout keeps the order an index's. A full sort gets no tie-breaker; the walks
        // still sort by cid on their own.
        cid_desc_ = key_desc_;
        if (order.size() < streamchat::sort::max_fields) {
            order.then("cid", primary.direction);
            cid_follows_key_ = order.size() == 2;
        }
    }
    sort_ = std::move(order);
    walk_sort_ = streamchat::sort::by("cid", cid_desc_ ? sort_direction::descending : sort_direction::ascending);

    for (const keyset_field& k : cfg.keyset_fields) {
        if (k.name == primary.field) {
            key_ = k.name;
            nullable_ = k.nullable;
            unique_key_ = k.name == "cid";
            break;
        }
    }
}

std::optional<std::size_t> keyset_pager::row_cap() const noexcept
{
    if (!key_.empty())
        return std::nullopt;
    return static_cast<std::size_t>(max_offset) + static_cast<std::size_t>(limit_);
}

bool keyset_pager::mark_seen(std::string_view cid)
{
    if (seen(cid))
        return false;
    seen_.emplace(cid);
    return true;
}

filter keyset_pager::cursor_filter() const
{
    if (!cursor_)
        return filter::all();
    return cid_desc_ ? filter::lt("cid", *cursor_) : filter::gt("cid", *cursor_);
}

page_request keyset_pager::next() const
{
    page_request r;
    r.limit = limit_;
    switch (phase_) {
    case phase::offset:
        r.kind = page_kind::offset;
        r.filter_conditions = base_;
        r.sort = sort_;
        r.offset = offset_;
        break;
    case phase::keyset: {
        r.kind = page_kind::keyset;
        const filter_value& v = *boundary_;
        filter bound = key_desc_ ? (strict_ ? filter::lt(key_, v) : filter::lte(key_, v))
                                 : (strict_ ? filter::gt(key_, v) : filter::gte(key_, v));
        r.filter_conditions = base_ && std::move(bound);
        r.sort = sort_;
        break;
    }
    case phase::tie_walk:
        r.kind = page_kind::tie_walk;
        r.filter_conditions = base_ && filter::eq(key_, *boundary_) && cursor_filter();
        r.sort = walk_sort_;
        break;
    case phase::null_walk:
        r.kind = page_kind::null_walk;
        r.filter_conditions = base_ && filter::exists(key_, false) && cursor_filter();
        r.sort = walk_sort_;
        break;
    case phase::done:
        r.limit = 0;
        break;
    }
    return r;
}

page_result keyset_pager::on_page(std::span<const page_row> rows)
{
    page_result out;
    out.fresh.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (seen(rows[i].cid)) {
            ++out.duplicates;
        } else {
            seen_.emplace(rows[i].cid);
            out.fresh.push_back(i);
        }
    }
    if (phase_ == phase::done) // a late answer: de-duplicated, and nothing else
        return out;

    ++metrics_.pages;
    metrics_.rows += rows.size();
    metrics_.duplicates += out.duplicates;
    const bool full = rows.size() >= static_cast<std::size_t>(limit_);
    switch (phase_) {
    case phase::offset:
        ++metrics_.offset_pages;
        after_offset_page(rows, full);
        break;
    case phase::keyset:
        ++metrics_.keyset_pages;
        after_keyset_page(rows, full, out.fresh.size());
        break;
    case phase::tie_walk:
        ++metrics_.tie_walk_pages;
        after_walk_page(rows, full);
        break;
    case phase::null_walk:
        ++metrics_.null_walk_pages;
        after_walk_page(rows, full);
        break;
    case phase::done:
        break;
    }
    return out;
}

void keyset_pager::track(std::span<const page_row> rows)
{
    for (const page_row& r : rows) {
        if (!boundary_ || !(*boundary_ == r.key)) {
            boundary_ = r.key;
            tie_count_ = 0;
        }
        ++tie_count_;
        tie_last_.assign(r.cid);
        if (r.key.is_null())
            nulls_seen_ = true;
    }
}

void keyset_pager::after_offset_page(std::span<const page_row> rows, bool full)
{
    track(rows);
    if (!full)
        return finish(pager_end::end_of_list);
    if (key_.empty()) {
        // Offsets only: the last page sits at the cap exactly, overlapping the one before (the
        // overlap comes back as duplicates), so that 1000 + limit rows are reachable.
        if (offset_ >= max_offset)
            return finish(pager_end::capped);
        offset_ = std::min(offset_ + limit_, max_offset);
        return;
    }
    if (offset_ + 2 * limit_ <= offset_rows_) {
        offset_ += limit_;
        return;
    }
    continue_after_boundary();
}

void keyset_pager::after_keyset_page(std::span<const page_row> rows, bool full, std::size_t fresh)
{
    const std::string previous_last = std::move(last_keyset_cid_);
    track(rows);
    if (!rows.empty())
        last_keyset_cid_.assign(rows.back().cid);
    if (!full)
        return finish_bounded();
    if (fresh == 0) {
        if (strict_) {
            // Past a value, the position must move: the same last row means the bound was ignored.
            if (last_keyset_cid_ == previous_last)
                return finish(pager_end::stalled);
        } else if (!boundary_->is_null()) {
            // A full inclusive page of rows already returned: more rows share the boundary value
            // than a page holds (or the server orders them differently each time). Walk the value
            // from its start; the cursor, not new rows, is the progress.
            return start_walk(phase::tie_walk, false);
        }
    }
    continue_after_boundary();
}

void keyset_pager::after_walk_page(std::span<const page_row> rows, bool full)
{
    if (!rows.empty()) {
        const std::string_view last = rows.back().cid;
        if (walk_cursors_.find(last) != walk_cursors_.end())
            return finish(pager_end::stalled); // the cid bound was ignored
        walk_cursors_.emplace(last);
        cursor_.emplace(last);
    }
    if (full)
        return;
    if (phase_ == phase::null_walk)
        return finish(pager_end::end_of_list);
    // Every row of the walked value is in: continue strictly past it.
    phase_ = phase::keyset;
    strict_ = true;
    tie_count_ = 0;
    cursor_.reset();
    walk_cursors_.clear();
}

void keyset_pager::continue_after_boundary()
{
    if (boundary_->is_null()) // nulls sort last: every bounded row is in
        return start_walk(phase::null_walk, true);
    phase_ = phase::keyset;
    if (unique_key_) {
        strict_ = true;
        return;
    }
    if (tie_count_ >= static_cast<std::size_t>(limit_))
        return start_walk(phase::tie_walk, true);
    strict_ = false;
}

void keyset_pager::finish_bounded()
{
    if (nullable_ || nulls_seen_)
        return start_walk(phase::null_walk, boundary_ && boundary_->is_null());
    finish(pager_end::end_of_list);
}

void keyset_pager::start_walk(phase p, bool resume)
{
    phase_ = p;
    strict_ = false;
    walk_cursors_.clear();
    cursor_.reset();
    // The tied rows received so far are a prefix of the walk's order only when the sort put
    // them in cid order; otherwise the walk starts at the value's first row.
    if (resume && cid_follows_key_ && !tie_last_.empty()) {
        cursor_ = tie_last_;
        walk_cursors_.emplace(tie_last_);
    }
}

void keyset_pager::finish(pager_end why) noexcept
{
    phase_ = phase::done;
    end_ = why;
}

} // namespace streamchat::detail
