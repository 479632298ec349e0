// event_ingest: see ingest.hpp for the two paths and the ordering rule between them.

#include "events/ingest.hpp"

#include "model/cid.hpp"
#include "realtime/frames.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace streamchat::detail {

std::optional<coalesce_key> key_of_event::operator()(const event& e) const noexcept
{
    const std::string_view uid = e.user ? std::string_view(e.user->id) : std::string_view{};
    const std::string_view parent = e.parent_id ? std::string_view(*e.parent_id) : std::string_view{};
    return coalesce_key_for(e.type, event_cid(e), uid, parent);
}

event_ingest::event_ingest(channel_store& store, const batch_config& cfg,
                           std::function<bool(std::string_view)> typed_only)
    : store_(store), compact_enabled_(cfg.compact_unwatched), typed_only_(std::move(typed_only)), batcher_(cfg),
      window_(std::max(clock::duration::zero(), std::chrono::duration_cast<clock::duration>(cfg.window)))
{
}

std::optional<event_ingest::time_point> event_ingest::deadline() const noexcept
{
    auto due = batcher_.deadline();
    if (changed_since_) {
        const time_point c = flush_changes_ ? *changed_since_ : *changed_since_ + window_;
        if (!due || c < *due) due = c;
    }
    return due;
}

void event_ingest::note_server_time(const timestamp& t) noexcept
{
    if (t == timestamp{}) return;
    if (!last_server_time_ || *last_server_time_ < t) last_server_time_ = t;
}

bool event_ingest::first_time(std::string_view message_id)
{
    return seen_.insert(message_id);
}

void event_ingest::remember(std::string_view message_id)
{
    if (!message_id.empty()) (void)first_time(message_id);
}

bool event_ingest::typed_waiting(std::string_view cid) const
{
    if (channelless_batch_ && *channelless_batch_ >= applied_batches_) return true;
    const auto it = typed_batch_.find(cid);
    return it != typed_batch_.end() && it->second >= applied_batches_;
}

void event_ingest::queue_typed(event e, time_point t)
{
    const std::string_view cid = event_cid(e);
    const bool everywhere = cid.empty() && e.type == event_type::notification_mark_read; // all summaries
    std::string key = cid.empty() ? std::string{} : std::string(cid);
    batcher_.push(std::move(e), t);
    // The batch the event sits in has at most this index (it may have closed already, which
    // only makes the rule wait one batch longer than needed).
    const std::uint64_t batch = batcher_.metrics().batches;
    if (everywhere) channelless_batch_ = batch;
    if (key.empty()) return;
    typed_batch_.insert_or_assign(std::move(key), batch);
    if (typed_batch_.size() > prune_at_) {
        std::erase_if(typed_batch_, [&](const auto& kv) { return kv.second < applied_batches_; });
        prune_at_ = std::max<std::size_t>(1024, 2 * typed_batch_.size());
    }
}

bool event_ingest::push(event e, time_point t)
{
    if ((e.type == event_type::message_new || e.type == event_type::notification_message_new) && e.message &&
        !first_time(e.message->id)) {
        ++m_.duplicates;
        return false;
    }
    queue_typed(std::move(e), t);
    return true;
}

frame_outcome event_ingest::on_frame(std::string_view frame, time_point t, std::string* why)
{
    ++m_.frames;
    if (compact_enabled_) {
        switch (fast_.decode(frame, fe_)) {
            case fast_status::malformed: // the typed decoder below says why
            case fast_status::fallback:
                break;
            case fast_status::decoded: {
                note_server_time(fe_.created_at);
                if (fe_.type == event_type::health_check) return frame_outcome::health_check;
                const std::string& cid = fe_.cid;
                if (cid.empty() || store_.is_materialised(cid) || (typed_only_ && typed_only_(cid)) ||
                    typed_waiting(cid))
                    break; // the typed path, in order behind what waits there
                if (fe_.has_message && !first_time(fe_.message_id)) {
                    ++m_.duplicates;
                    return frame_outcome::duplicate;
                }
                ++m_.compact;
                ++m_.applied;
                if (store_.apply_fast(fe_) && !changed_set_.contains(cid)) {
                    changed_set_.insert(changed_.emplace_back(cid));
                    if (!changed_since_) changed_since_ = t;
                }
                return frame_outcome::applied;
            }
        }
    }
    event e;
    if (decode_event_frame(frame, e, why)) {
        ++m_.malformed;
        return frame_outcome::malformed;
    }
    note_server_time(e.created_at);
    if (e.type == event_type::health_check) return frame_outcome::health_check;
    return push(std::move(e), t) ? frame_outcome::queued : frame_outcome::duplicate;
}

void event_ingest::poll(time_point now, fifo<streamchat::event_batch>& out)
{
    std::vector<batcher_t::batch> closed;
    const std::size_t before = out.size();
    if (batcher_.poll(now, closed) != 0) {
        applied_batches_ = batcher_.metrics().batches;
        for (auto& b : closed) {
            streamchat::event_batch eb;
            eb.first_received = b.first_received;
            for (const auto& e : b.items) store_.apply(e);
            m_.applied += b.items.size();
            eb.events = std::move(b.items);
            out.push_back(std::move(eb));
        }
    }
    // Compact changes ride on the last batch out, or make one once their window has passed.
    if (!changed_since_) return;
    const bool due = flush_changes_ || now - *changed_since_ >= window_;
    if (out.size() == before && !due) return;
    if (out.size() == before) {
        out.emplace_back();
        out.back().first_received = *changed_since_;
    }
    auto& last = out.back();
    last.first_received = std::min(last.first_received, *changed_since_);
    last.summaries_changed.reserve(changed_.size());
    for (auto& c : changed_) last.summaries_changed.push_back(std::move(c));
    changed_set_.clear(); // before the strings it views go
    changed_.clear();
    changed_since_.reset();
    flush_changes_ = false;
}

} // namespace streamchat::detail
