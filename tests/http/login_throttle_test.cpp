#include "http/login_throttle.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace bt::http {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

LoginThrottle::Settings settings() {
    LoginThrottle::Settings s;
    s.first_delay = 1s;
    s.max_delay = 8s;
    s.forget_after = 60s;
    s.max_addresses = 3;
    return s;
}

TEST(LoginThrottle, NoWaitWithoutFailures) {
    LoginThrottle throttle(settings());
    EXPECT_EQ(throttle.wait_before_check("127.0.0.1", Clock::time_point{}), 0s);
    EXPECT_EQ(throttle.size(), 0u);
}

TEST(LoginThrottle, EachFailureDoublesTheWaitUpToTheMaximum) {
    LoginThrottle throttle(settings());
    Clock::time_point now{};
    const std::string address = "127.0.0.1";
    for (const auto expected : {1s, 2s, 4s, 8s, 8s}) {
        throttle.on_failure(address, now);
        EXPECT_EQ(throttle.wait_before_check(address, now), expected);
        now += expected;
    }
    EXPECT_EQ(throttle.failures(address), 5u);
    EXPECT_EQ(throttle.wait_before_check("::1", now), 0s);  // per address, never global
}

TEST(LoginThrottle, ParallelAttemptsQueueBehindEachOther) {
    LoginThrottle throttle(settings());
    const Clock::time_point now{};
    throttle.on_failure("10.0.0.1", now);
    EXPECT_EQ(throttle.wait_before_check("10.0.0.1", now), 1s);
    EXPECT_EQ(throttle.wait_before_check("10.0.0.1", now), 2s);
    EXPECT_EQ(throttle.wait_before_check("10.0.0.1", now), 3s);
}

TEST(LoginThrottle, AWaitPastTheLimitIsRefusedAndReservesNothing) {
    LoginThrottle throttle(settings());
    const Clock::time_point now{};
    throttle.on_failure("10.0.0.1", now);
    EXPECT_EQ(throttle.wait_within("10.0.0.1", now, 2s), 1s);
    EXPECT_EQ(throttle.wait_within("10.0.0.1", now, 2s), 2s);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(throttle.wait_within("10.0.0.1", now, 2s), std::nullopt);
    // The refused attempts did not push the queue further.
    EXPECT_EQ(throttle.wait_within("10.0.0.1", now + 1s, 2s), 2s);
    EXPECT_EQ(throttle.wait_within("::1", now, 0s), 0s);
}

TEST(LoginThrottle, SuccessAndTimeForget) {
    LoginThrottle throttle(settings());
    const Clock::time_point now{};
    throttle.on_failure("a", now);
    throttle.on_success("a");
    EXPECT_EQ(throttle.wait_before_check("a", now), 0s);
    throttle.on_failure("b", now);
    EXPECT_EQ(throttle.wait_before_check("b", now + 61s), 0s);
    EXPECT_EQ(throttle.failures("b"), 0u);
}

TEST(LoginThrottle, TheTableIsBounded) {
    LoginThrottle throttle(settings());
    Clock::time_point now{};
    for (int i = 0; i < 100; ++i) {
        throttle.on_failure("10.0.0." + std::to_string(i), now);
        now += 1s;
        EXPECT_LE(throttle.size(), 3u);
    }
    EXPECT_EQ(throttle.failures("10.0.0.99"), 1u);
    EXPECT_EQ(throttle.failures("10.0.0.0"), 0u);  // the oldest went first
}

}  // namespace
}  // namespace bt::http
