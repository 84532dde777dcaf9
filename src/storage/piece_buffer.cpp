#include "storage/piece_buffer.hpp"

#include <cstdlib>
#include <new>
#include <stdexcept>

#include "storage/file_storage.hpp"

namespace bt::storage {

struct PieceBuffer::Shared {
    std::size_t capacity = 0;
    std::size_t max_idle = 0;  // buffers
    std::mutex mutex;
    std::vector<std::unique_ptr<std::uint8_t, Free>> idle;
};

void PieceBuffer::Free::operator()(std::uint8_t* p) const noexcept {
    std::free(p);
}

PieceBuffer& PieceBuffer::operator=(PieceBuffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::move(other.data_);
        shift_ = std::exchange(other.shift_, 0);
        size_ = std::exchange(other.size_, 0);
        pool_ = std::move(other.pool_);
    }
    return *this;
}

PieceBuffer::~PieceBuffer() {
    release();
}

void PieceBuffer::release() noexcept {
    size_ = 0;
    shift_ = 0;
    if (!data_ || !pool_) return;
    const std::lock_guard lock(pool_->mutex);
    if (pool_->idle.size() < pool_->max_idle) pool_->idle.push_back(std::move(data_));  // reserved: no throw
    data_.reset();
}

PieceBufferPool::PieceBufferPool(std::size_t capacity, std::size_t max_idle_bytes)
    : shared_(std::make_shared<PieceBuffer::Shared>()) {
    // aligned_alloc wants a multiple of the alignment.
    shared_->capacity = (capacity + kDirectIoAlignment - 1) / kDirectIoAlignment * kDirectIoAlignment;
    shared_->max_idle = shared_->capacity == 0 ? 0 : max_idle_bytes / shared_->capacity;  // whole buffers
}

PieceBuffer PieceBufferPool::take(std::size_t size, std::size_t shift) {
    if (size > shared_->capacity) throw std::length_error("piece buffer larger than the pool's buffers");
    if (shift >= kDirectIoAlignment) throw std::length_error("piece buffer shift of a whole block or more");
    {
        const std::lock_guard lock(shared_->mutex);
        // Room for the buffers coming back, made when the first is taken: a session of thousands of torrents
        // pays for it only in those that read or write.
        shared_->idle.reserve(shared_->max_idle);
        if (!shared_->idle.empty()) {
            auto data = std::move(shared_->idle.back());
            shared_->idle.pop_back();
            return PieceBuffer(std::move(data), shift, size, shared_);
        }
    }
    // One block more than the capacity leaves room for any shift.
    std::unique_ptr<std::uint8_t, PieceBuffer::Free> data(static_cast<std::uint8_t*>(
        std::aligned_alloc(kDirectIoAlignment, shared_->capacity + kDirectIoAlignment)));
    if (!data) throw std::bad_alloc();
    return PieceBuffer(std::move(data), shift, size, shared_);
}

std::size_t PieceBufferPool::capacity() const noexcept {
    return shared_->capacity;
}

std::size_t PieceBufferPool::idle_count() const {
    const std::lock_guard lock(shared_->mutex);
    return shared_->idle.size();
}

void PieceBufferPool::release_idle() {
    const std::lock_guard lock(shared_->mutex);
    shared_->idle.clear();  // keeps the reserved room
}

}  // namespace bt::storage
