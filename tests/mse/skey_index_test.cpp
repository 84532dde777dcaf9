#include "mse/skey_index.hpp"

#include <gtest/gtest.h>

namespace bt::mse {
namespace {

Skey skey(std::uint8_t fill) {
    Skey k{};
    k.fill(fill);
    return k;
}

TEST(SkeyIndex, FindsATorrentByItsPrecomputedReq2Hash) {
    SkeyIndex index;
    index.add(skey(1));
    index.add(skey(2));
    EXPECT_EQ(index.size(), 2U);
    EXPECT_EQ(index.find(req2_hash(skey(2))), skey(2));
    EXPECT_EQ(index.find(req2_hash(skey(1))), skey(1));
    EXPECT_FALSE(index.find(req2_hash(skey(3))).has_value());
    // The raw info-hash is not the lookup key.
    Sha1Digest raw{};
    raw.fill(1);
    EXPECT_FALSE(index.find(raw).has_value());
}

TEST(SkeyIndex, RemoveAndDuplicateAdds) {
    SkeyIndex index;
    index.add(skey(7));
    index.add(skey(7));
    EXPECT_EQ(index.size(), 1U);
    index.remove(skey(7));
    EXPECT_EQ(index.size(), 0U);
    EXPECT_FALSE(index.find(req2_hash(skey(7))).has_value());
    index.remove(skey(9));  // absent: no effect
}

TEST(SkeyIndex, LookupFunctionSeesLaterAdditions) {
    SkeyIndex index;
    auto lookup = index.lookup();
    EXPECT_FALSE(lookup(req2_hash(skey(4))).has_value());
    index.add(skey(4));  // e.g. a hybrid torrent's v1 hash and truncated v2 hash are two entries
    index.add(skey(5));
    EXPECT_EQ(lookup(req2_hash(skey(4))), skey(4));
    EXPECT_EQ(lookup(req2_hash(skey(5))), skey(5));
}

}  // namespace
}  // namespace bt::mse
