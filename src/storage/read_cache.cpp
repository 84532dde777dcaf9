#include "storage/read_cache.hpp"

#include <algorithm>

namespace bt::storage {

LineRange line_range(std::uint32_t begin, std::uint32_t run_end, std::uint32_t piece_size) {
    const std::uint32_t start = begin - begin % kLineAlignment;
    // run_end <= piece_size (requests are checked against the piece), so the rounding cannot overflow.
    std::uint32_t end = run_end + (kLineAlignment - run_end % kLineAlignment) % kLineAlignment;
    end = std::min({end, piece_size, start + kMaxLineBytes});
    return {start, end};
}

std::uint32_t max_run(std::uint32_t begin) {
    return kMaxLineBytes - begin % kLineAlignment;
}

void CacheLine::finish_load() {
    auto waiters = std::move(on_loaded);
    on_loaded.clear();
    for (auto& wake : waiters) wake();
}

std::shared_ptr<CacheLine> ReadCache::find(std::uint64_t owner, PieceIndex piece, std::uint32_t offset,
                                           std::uint32_t size) {
    // Lines of one piece may overlap (two peers asked for different runs); those starting at or before
    // `offset`, and near enough to reach it, are candidates, nearest first: a few at most, since lines
    // start on kLineAlignment boundaries.
    auto it = lines_.upper_bound(Key{owner, piece.value, offset});
    while (it != lines_.begin()) {
        --it;
        if (it->first.owner != owner || it->first.piece != piece.value) break;
        if (offset - it->first.begin >= kMaxLineBytes) break;
        const auto& line = *it->second.line;
        if (line.state == CacheLine::State::failed || !line.covers(offset, size)) continue;
        recent_.splice(recent_.end(), recent_, it->second.recent);
        ++stats_.hits;
        return it->second.line;
    }
    return nullptr;
}

std::shared_ptr<CacheLine> ReadCache::insert(std::uint64_t owner, PieceIndex piece, std::uint32_t begin,
                                             std::uint32_t length) {
    auto line = std::make_shared<CacheLine>();
    line->owner = owner;
    line->piece = piece;
    line->begin = begin;
    line->length = length;
    line->bytes = std::make_unique_for_overwrite<std::uint8_t[]>(length);
    ++stats_.misses;
    stats_.bytes_read += length;
    const Key key{owner, piece.value, begin};
    // A line with the same start that no longer covers the request (shorter) makes way for the new one.
    if (auto old = lines_.find(key); old != lines_.end()) remove(old);
    recent_.push_back(key);
    lines_.emplace(key, Entry{line, std::prev(recent_.end())});
    stats_.bytes += length;
    stats_.lines = lines_.size();
    stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.bytes);
    evict_over_budget();
    return line;
}

void ReadCache::finish(const std::shared_ptr<CacheLine>& line, std::optional<std::string> error) {
    if (error) {
        line->state = CacheLine::State::failed;
        line->error = std::move(*error);
        erase(line);
    } else {
        line->state = CacheLine::State::ready;
        evict_over_budget();
    }
    line->finish_load();
}

void ReadCache::erase(const std::shared_ptr<CacheLine>& line) {
    auto it = lines_.find(Key{line->owner, line->piece.value, line->begin});
    if (it != lines_.end() && it->second.line == line) remove(it);
}

void ReadCache::drop(std::uint64_t owner) {
    auto it = lines_.lower_bound(Key{owner, 0, 0});
    while (it != lines_.end() && it->first.owner == owner) {
        auto next = std::next(it);
        remove(it);
        it = next;
    }
}

void ReadCache::set_budget(std::uint64_t budget) {
    stats_.budget = budget;
    evict_over_budget();
}

void ReadCache::remove(std::map<Key, Entry>::iterator it) {
    stats_.bytes -= it->second.line->length;
    recent_.erase(it->second.recent);
    lines_.erase(it);
    stats_.lines = lines_.size();
}

void ReadCache::evict_over_budget() {
    auto key = recent_.begin();
    while (stats_.bytes > stats_.budget && key != recent_.end()) {
        auto it = lines_.find(*key);
        ++key;
        // A line being loaded stays: the peers waiting for it would otherwise read it again.
        if (it->second.line->state == CacheLine::State::loading) continue;
        remove(it);
        ++stats_.evictions;
    }
}

}  // namespace bt::storage
