#pragma once
// Memory for pieces between the network and the disk: a piece is assembled block by block in a
// PieceBuffer, hashed and written from it, then the buffer goes back to its pool for the next piece.
//
// Recycling matters for speed: a fresh 1 MiB allocation is an mmap whose every page faults on first
// touch (and is zero-filled by the kernel), and on virtual machines that return free memory to the host,
// also faults in the host. A recycled buffer is already resident. So the owner sizes the pool's idle
// list to what it may have in use at once (Torrent: its request and disk budgets): a smaller one frees
// buffers that the next burst allocates again.
// Buffers are aligned to kDirectIoAlignment (or shifted from it on request) so that FileStorage can
// write them with O_DIRECT.
// Their contents start undefined: the owner fills every byte before reading any (a piece is hashed
// only once all of its blocks arrived).
//
// Thread-safe: buffers are taken on the network thread and may be released on any thread.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

namespace bt::storage {

class PieceBufferPool;

class PieceBuffer {
  public:
    PieceBuffer() = default;
    PieceBuffer(PieceBuffer&& other) noexcept
        : data_(std::move(other.data_)),
          shift_(std::exchange(other.shift_, 0)),
          size_(std::exchange(other.size_, 0)),
          pool_(std::move(other.pool_)) {}
    PieceBuffer& operator=(PieceBuffer&& other) noexcept;
    ~PieceBuffer();

    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    std::span<std::uint8_t> bytes() noexcept { return {data_.get() + shift_, size_}; }
    std::span<const std::uint8_t> bytes() const noexcept { return {data_.get() + shift_, size_}; }

  private:
    friend class PieceBufferPool;
    struct Free {
        void operator()(std::uint8_t* p) const noexcept;
    };
    struct Shared;
    PieceBuffer(std::unique_ptr<std::uint8_t, Free> data, std::size_t shift, std::size_t size,
                std::shared_ptr<Shared> pool)
        : data_(std::move(data)), shift_(shift), size_(size), pool_(std::move(pool)) {}
    void release() noexcept;

    std::unique_ptr<std::uint8_t, Free> data_;  // aligned to kDirectIoAlignment
    std::size_t shift_ = 0;                     // where the bytes start in it
    std::size_t size_ = 0;
    std::shared_ptr<Shared> pool_;  // keeps the free list alive for buffers that outlive the pool
};

class PieceBufferPool {
  public:
    // Buffers hold up to `capacity` bytes (the piece length); at most `max_idle_bytes` of returned
    // buffers are kept for reuse, the rest are freed.
    PieceBufferPool(std::size_t capacity, std::size_t max_idle_bytes);

    // A buffer of `size` bytes, contents undefined, starting `shift` (< kDirectIoAlignment) bytes past an
    // aligned address: a piece whose file offset is not aligned is then aligned in memory like it, so that
    // it can be written with O_DIRECT without a copy (FileStorage::direct_write_shift). Throws
    // std::length_error when `size` exceeds the capacity or `shift` is too big, std::bad_alloc like `new`.
    PieceBuffer take(std::size_t size, std::size_t shift = 0);
    std::size_t capacity() const noexcept;
    std::size_t idle_count() const;
    // Frees the idle buffers (buffers still in use come back later, as usual).
    void release_idle();

  private:
    std::shared_ptr<PieceBuffer::Shared> shared_;
};

}  // namespace bt::storage
