#pragma once
// The read cache for uploads, shared by every torrent of a session: ranges of verified pieces ("lines") read
// from disk once and served to every peer that asks for their blocks.
//
// A peer usually requests a piece's blocks in order and many at a time, so the uploader reads the run of
// blocks it has asked for in one go (up to kMaxLineBytes) instead of one 16 KiB read per block; a second
// peer after the same piece finds the line still here. Blocks are copied from the line straight into the
// peer's send buffer: the line is the only copy between the file and the socket buffer.
// Lines start and end on 16 KiB boundaries (line_range): requests for odd little ranges (a hostile peer's
// 1-byte blocks) share lines instead of making one each, and find() looks at a few lines at most.
//
// The cache holds at most `budget` bytes of lines. Over it, the least recently used lines that are not
// being loaded leave the cache; a line still being served keeps its memory (shared_ptr) until its last
// block is copied, which the uploader's own bounds limit (PeerConnection: reads in flight and queued blocks).
// Lines are keyed by an owner (TorrentDisk takes a new one at every check) and dropped with it at stop:
// what was read before a stop or a verify is never served after it.
//
// Not thread-safe: the session's network thread uses it. Only a line's bytes are filled on a disk thread,
// while the line is `loading`.
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/ids.hpp"

namespace bt::storage {

inline constexpr std::uint32_t kMaxLineBytes = 256 * 1024;
inline constexpr std::uint32_t kLineAlignment = 16 * 1024;

// The line to read for a block at `begin` when the peer has asked for the piece's bytes up to `run_end`:
// from `begin` rounded down to kLineAlignment, to `run_end` rounded up (within the piece), at most
// kMaxLineBytes; it always holds the block. max_run(begin) is the most of the run that fits.
struct LineRange {
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};
LineRange line_range(std::uint32_t begin, std::uint32_t run_end, std::uint32_t piece_size);
std::uint32_t max_run(std::uint32_t begin);

struct CacheLine {
    enum class State : std::uint8_t { loading, ready, failed };

    std::uint64_t owner = 0;
    PieceIndex piece;
    std::uint32_t begin = 0;  // in the piece
    std::uint32_t length = 0;
    State state = State::loading;
    std::string error;  // failed: why the read failed
    std::unique_ptr<std::uint8_t[]> bytes;
    // Called once when the load ends (ready or failed): the uploaders waiting for it.
    std::vector<std::function<void()>> on_loaded;

    bool covers(std::uint32_t offset, std::uint32_t size) const noexcept {
        return offset >= begin && offset - begin <= length && size <= length - (offset - begin);
    }
    std::span<const std::uint8_t> slice(std::uint32_t offset, std::uint32_t size) const noexcept {
        return {bytes.get() + (offset - begin), size};
    }
    // The load ended: state is set (ReadCache::finish does both); wakes the waiters.
    void finish_load();
};

struct ReadCacheStats {
    std::uint64_t budget = 0;
    std::uint64_t bytes = 0;       // held by lines in the cache now
    std::uint64_t peak_bytes = 0;  // the most it held
    std::uint64_t lines = 0;
    std::uint64_t hits = 0;    // blocks served from a line read (or being read) for an earlier request
    std::uint64_t misses = 0;  // blocks that started a read
    std::uint64_t bytes_read = 0;
    std::uint64_t evictions = 0;
};

class ReadCache {
  public:
    explicit ReadCache(std::uint64_t budget) { stats_.budget = budget; }

    // A key for one torrent's lines, never handed out before.
    std::uint64_t new_owner() noexcept { return ++last_owner_; }

    // The line holding [offset, offset + size) of the owner's piece, ready or loading; null when there is
    // none (then the caller loads one with insert()). Counts a hit and marks the line recently used. A line
    // whose load failed is never returned.
    std::shared_ptr<CacheLine> find(std::uint64_t owner, PieceIndex piece, std::uint32_t offset,
                                    std::uint32_t size);
    // A new line, loading, for the caller to fill and finish(). Counts a miss; lines over the budget are
    // evicted (least recently used first, never one being loaded).
    std::shared_ptr<CacheLine> insert(std::uint64_t owner, PieceIndex piece, std::uint32_t begin,
                                      std::uint32_t length);
    // The load ended: ready, or failed with `error` (the line leaves the cache: a later request reads
    // again). Evicts what the loads in flight kept over the budget, then wakes the line's waiters.
    void finish(const std::shared_ptr<CacheLine>& line, std::optional<std::string> error);
    // Every line of the owner leaves the cache (its torrent stopped).
    void drop(std::uint64_t owner);
    // A new budget (settings changed): lines over it leave at once.
    void set_budget(std::uint64_t budget);

    ReadCacheStats stats() const noexcept { return stats_; }

  private:
    struct Key {
        std::uint64_t owner;
        std::uint32_t piece;
        std::uint32_t begin;
        friend auto operator<=>(const Key&, const Key&) = default;
    };
    struct Entry {
        std::shared_ptr<CacheLine> line;
        std::list<Key>::iterator recent;  // its place in recent_
    };
    void remove(std::map<Key, Entry>::iterator it);
    void erase(const std::shared_ptr<CacheLine>& line);
    void evict_over_budget();

    std::map<Key, Entry> lines_;
    std::list<Key> recent_;  // least recently used first
    ReadCacheStats stats_;
    std::uint64_t last_owner_ = 0;
};

}  // namespace bt::storage
