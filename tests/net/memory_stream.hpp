#pragma once
// An in-memory ByteStream pair for tests: what one end writes, the other reads, on one executor. Writes
// complete at once (no flow control); reads deliver at most max_read bytes each, so a test can make the
// bytes arrive one at a time. shutdown() or close() gives the other end EOF after the bytes already
// written; close() also ends this end's pending read with operation_aborted, as closing a socket does.
#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "net/byte_stream.hpp"

namespace bt::net {

class MemoryStream final : public ByteStream {
  public:
    static std::pair<std::unique_ptr<MemoryStream>, std::unique_ptr<MemoryStream>> make_pair(
        const Executor& executor, std::size_t max_read = 64 * 1024) {
        auto a_to_b = std::make_shared<Pipe>(executor);
        auto b_to_a = std::make_shared<Pipe>(executor);
        return {std::make_unique<MemoryStream>(b_to_a, a_to_b, max_read, Endpoint::v4({10, 0, 0, 2}, 2)),
                std::make_unique<MemoryStream>(a_to_b, b_to_a, max_read, Endpoint::v4({10, 0, 0, 1}, 1))};
    }

    struct Pipe {
        explicit Pipe(const Executor& executor)
            : wake(executor, std::chrono::steady_clock::time_point::max()) {}
        std::vector<std::uint8_t> bytes;  // written, not read yet
        bool writer_done = false;         // EOF after `bytes`
        bool reader_closed = false;       // writes fail
        asio::steady_timer wake;          // the reader waits on it; cancelled on every change
    };

    MemoryStream(std::shared_ptr<Pipe> in, std::shared_ptr<Pipe> out, std::size_t max_read, Endpoint remote)
        : in_(std::move(in)), out_(std::move(out)), max_read_(max_read), remote_(remote) {}
    ~MemoryStream() override { close(); }

    Executor get_executor() override { return in_->wake.get_executor(); }

    asio::awaitable<IoResult> read_some(std::span<std::uint8_t> into) override {
        auto in = in_;  // the pipe outlives a close() of this end under the read
        for (;;) {
            if (closed_) co_return IoResult{asio::error::operation_aborted, 0};
            if (!in->bytes.empty()) {
                const auto n = std::min({into.size(), in->bytes.size(), max_read_});
                std::copy_n(in->bytes.begin(), n, into.begin());
                in->bytes.erase(in->bytes.begin(), in->bytes.begin() + static_cast<std::ptrdiff_t>(n));
                co_return IoResult{{}, n};
            }
            if (in->writer_done) co_return IoResult{asio::error::eof, 0};
            co_await in->wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        }
    }

    asio::awaitable<IoResult> write(std::span<const std::uint8_t> bytes) override {
        if (closed_) co_return IoResult{asio::error::bad_descriptor, 0};
        if (out_->writer_done || out_->reader_closed) co_return IoResult{asio::error::broken_pipe, 0};
        out_->bytes.insert(out_->bytes.end(), bytes.begin(), bytes.end());
        out_->wake.cancel();
        co_return IoResult{{}, bytes.size()};
    }

    void shutdown() noexcept override {
        out_->writer_done = true;
        out_->wake.cancel();
    }

    void close() noexcept override {
        if (closed_) return;
        closed_ = true;
        shutdown();
        in_->reader_closed = true;
        in_->wake.cancel();
    }

    Result<Endpoint> remote_endpoint() const override {
        if (closed_) return fail(std::error_code(asio::error::bad_descriptor));
        return remote_;
    }

    // Bytes this end wrote that the other end has not read yet.
    std::size_t unread() const noexcept { return out_->bytes.size(); }

  private:
    std::shared_ptr<Pipe> in_;
    std::shared_ptr<Pipe> out_;
    std::size_t max_read_;
    Endpoint remote_;
    bool closed_ = false;
};

}  // namespace bt::net
