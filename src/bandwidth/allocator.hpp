#pragma once
// Rate limits as token buckets, shared fairly: the pure half of bandwidth limiting (no clock, no socket).
//
// A channel is one limit in bytes per second: the session's download or upload limit, or one torrent's.
// Every transfer passes up to kMaxChannelsPerRequest channels (a peer's reads pass the session's download
// channel and its torrent's), and may move only what each of them grants. The I/O layer asks before each
// read or write (request), moves at most what it got, gives back what it did not use (refund), and calls
// tick() with the time elapsed while anybody waits.
//
// Fairness: quota is handed out by water-filling. Each round, every channel splits what it holds evenly
// among the requests still waiting on it, and a request takes the smallest of its channels' shares; what a
// request cannot use (it wants less, or another of its channels gave less) stays with the channel for the
// next round. So two torrents limited below the session's limit each get their own limit, and two
// torrents limited above it split the session's limit evenly, as do the peers of one torrent.
//
// Bursts: a channel keeps at most kBurstWindow worth of unused quota, so after an idle spell a transfer
// can run ahead of the limit by at most that much: no second moves more than 1.25x the limit.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <variant>
#include <vector>

namespace bt::bandwidth {

using ChannelId = std::uint32_t;
enum class RequestId : std::uint64_t {};  // a distinct type: request() answers bytes or an id

inline constexpr std::size_t kMaxChannelsPerRequest = 4;
inline constexpr std::chrono::milliseconds kBurstWindow{250};

// The bytes a request was given; delivered by tick().
struct Grant {
    RequestId request{};
    std::uint64_t bytes = 0;
    friend bool operator==(const Grant&, const Grant&) = default;
};

class Allocator {
  public:
    // A channel limited to `bytes_per_second` (0: no limit). It starts with no quota.
    ChannelId add_channel(std::uint64_t bytes_per_second);
    void set_limit(ChannelId channel, std::uint64_t bytes_per_second);
    // Requests waiting on a removed channel go on without it (they are granted by their other channels).
    void remove_channel(ChannelId channel);
    std::uint64_t limit(ChannelId channel) const;

    // Asks for up to `wanted` bytes (> 0) through `channels` (unknown ids are ignored, at most
    // kMaxChannelsPerRequest). Granted at once when no channel limits, or when each has quota (at most an
    // even share with the requests waiting on it): the bytes granted (between 1 and wanted). Otherwise the
    // request waits, and a later tick() grants it.
    std::variant<std::uint64_t, RequestId> request(std::span<const ChannelId> channels, std::uint64_t wanted);
    // A waiting request given up (a closed peer). Quota it was given back then returns to its channels.
    void cancel(RequestId request);
    // Bytes granted but not moved (a read that returned less than it was allowed) go back to the channels.
    void refund(std::span<const ChannelId> channels, std::uint64_t bytes);

    // Adds `elapsed` worth of quota to every limited channel and shares it among the waiting requests.
    // Returns every request that got at least one byte; they stop waiting.
    std::vector<Grant> tick(std::chrono::nanoseconds elapsed);

    bool has_waiting() const noexcept { return !waiting_.empty(); }
    std::size_t waiting() const noexcept { return waiting_.size(); }

  private:
    struct Channel {
        std::uint64_t limit = 0;  // bytes per second, 0: unlimited
        double quota = 0;         // bytes that may move now, at most limit * kBurstWindow
        std::size_t waiting = 0;  // requests waiting on this channel
    };
    struct Request {
        std::vector<ChannelId> channels;  // limited ones only
        std::uint64_t wanted = 0;
        std::uint64_t assigned = 0;
    };

    Channel* find(ChannelId id);
    std::vector<ChannelId> limited(std::span<const ChannelId> channels) const;
    void distribute();

    std::map<ChannelId, Channel> channels_;
    std::map<RequestId, Request> waiting_;  // in arrival order (ids increase)
    ChannelId next_channel_ = 1;
    std::uint64_t next_request_ = 1;
};

}  // namespace bt::bandwidth
