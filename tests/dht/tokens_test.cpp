#include "dht/tokens.hpp"

#include <gtest/gtest.h>

namespace bt::dht {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = TimePoint{} + 1h;
const Endpoint kAlice = Endpoint::v4({1, 2, 3, 4}, 6881);
const Endpoint kBob = Endpoint::v4({5, 6, 7, 8}, 6881);

TEST(Tokens, AcceptedFromTheSameIpOnly) {
    Rng rng(1);
    TokenIssuer tokens(rng, 300s, kStart);
    const Token token = tokens.make(kAlice, kStart);
    EXPECT_EQ(token.size(), kTokenSize);
    EXPECT_TRUE(tokens.check(token, kAlice, kStart + 1s));
    Endpoint other_port = kAlice;
    other_port.port = 1234;
    EXPECT_TRUE(tokens.check(token, other_port, kStart + 1s));  // BEP 5: the token is tied to the IP
    EXPECT_FALSE(tokens.check(token, kBob, kStart + 1s));
    EXPECT_FALSE(tokens.check(token.substr(1), kAlice, kStart + 1s));
    EXPECT_FALSE(tokens.check("", kAlice, kStart + 1s));
}

TEST(Tokens, LiveForOneToTwoRotations) {
    Rng rng(2);
    TokenIssuer tokens(rng, 300s, kStart);
    const Token token = tokens.make(kAlice, kStart);
    EXPECT_TRUE(tokens.check(token, kAlice, kStart + 301s));  // previous secret
    EXPECT_TRUE(tokens.check(token, kAlice, kStart + 599s));
    EXPECT_FALSE(tokens.check(token, kAlice, kStart + 602s));  // two rotations later
}

TEST(Tokens, ALongIdleGapForgetsBothSecrets) {
    Rng rng(3);
    TokenIssuer tokens(rng, 300s, kStart);
    const Token token = tokens.make(kAlice, kStart);
    EXPECT_FALSE(tokens.check(token, kAlice, kStart + 3600s));
}

TEST(Tokens, DifferentSeedsGiveDifferentTokens) {
    Rng a(1);
    Rng b(2);
    TokenIssuer first(a, 300s, kStart);
    TokenIssuer second(b, 300s, kStart);
    EXPECT_NE(first.make(kAlice, kStart), second.make(kAlice, kStart));
}

}  // namespace
}  // namespace bt::dht
