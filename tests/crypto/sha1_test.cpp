#include "crypto/sha1.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/hex.hpp"

namespace bt::crypto {
namespace {

TEST(Sha1, MatchesFips180Vectors) {
    EXPECT_EQ(to_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(to_hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(to_hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Sha1, IncrementalEqualsOneShotAndResets) {
    const std::string million(1'000'000, 'a');
    Sha1 hasher;
    for (std::size_t i = 0; i < million.size(); i += 4096)
        hasher.update(std::string_view(million).substr(i, 4096));
    EXPECT_EQ(to_hex(hasher.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    hasher.update("abc");
    EXPECT_EQ(to_hex(hasher.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace bt::crypto
