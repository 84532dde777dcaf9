#include "net/spawn.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <stdexcept>

namespace bt::net {
namespace {

asio::awaitable<void> throws_after_suspending(asio::io_context& io) {
    co_await asio::post(io, asio::use_awaitable);
    throw std::runtime_error("boom");
}

asio::awaitable<int> returns(int value) {
    co_return value;
}

TEST(Spawn, AnExceptionGoesToOnFailureAndTheLoopGoesOn) {
    asio::io_context io;
    std::vector<std::string> failures;
    bool other_ran = false;
    spawn(io, throws_after_suspending(io), [&](const std::string& what) { failures.push_back(what); });
    asio::post(io, [&] { other_ran = true; });
    EXPECT_NO_THROW(io.run());
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_EQ(failures[0], "internal error: boom");
    EXPECT_TRUE(other_ran);
}

TEST(Spawn, ACoroutineThatEndsWellReportsNothing) {
    asio::io_context io;
    int failures = 0;
    spawn(io, returns(7), [&](const std::string&) { ++failures; });
    spawn(
        io, []() -> asio::awaitable<void> { co_return; }, [&](const std::string&) { ++failures; });
    io.run();
    EXPECT_EQ(failures, 0);
}

TEST(Spawn, ANonStandardExceptionIsReportedToo) {
    asio::io_context io;
    std::string failure;
    spawn(
        io, []() -> asio::awaitable<void> { throw 42; }, [&](const std::string& what) { failure = what; });
    io.run();
    EXPECT_EQ(failure, "internal error: unknown exception");
}

// The owner lives exactly as long as the job: after the caller dropped it, until the job ends.
TEST(Spawn, HoldingKeepsTheOwnerUntilTheJobEnds) {
    asio::io_context io;
    auto owner = std::make_shared<int>(42);
    std::weak_ptr<int> watch = owner;
    bool alive_in_job = false;
    auto job = [](asio::io_context& ctx, std::weak_ptr<int> w, bool& alive) -> asio::awaitable<void> {
        co_await asio::post(ctx, asio::use_awaitable);
        alive = !w.expired();
    };
    spawn(io, holding(std::move(owner), job(io, watch, alive_in_job)), [](const std::string&) {});
    EXPECT_FALSE(watch.expired());
    io.run();
    EXPECT_TRUE(alive_in_job);
    EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace bt::net
