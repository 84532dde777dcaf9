#include "metainfo/magnet.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bt::metainfo {
namespace {

constexpr const char* kHex = "27924587eef1e178ad9418ad55c8cbb38d5cc1c3";
constexpr const char* kBase32 = "E6JELB7O6HQXRLMUDCWVLSGLWOGVZQOD";  // the same 20 bytes

TEST(Magnet, ParsesHexInfoHashInEitherCase) {
    auto lower = parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex);
    ASSERT_TRUE(lower) << lower.error().message();
    EXPECT_EQ(lower->info_hash.hex(), kHex);
    auto upper = parse_magnet("magnet:?xt=urn:btih:27924587EEF1E178AD9418AD55C8CBB38D5CC1C3");
    ASSERT_TRUE(upper) << upper.error().message();
    EXPECT_EQ(upper->info_hash, lower->info_hash);
    EXPECT_TRUE(lower->display_name.empty());
    EXPECT_TRUE(lower->trackers.empty());
}

TEST(Magnet, ParsesBase32InfoHashInEitherCase) {
    auto upper = parse_magnet(std::string("magnet:?xt=urn:btih:") + kBase32);
    ASSERT_TRUE(upper) << upper.error().message();
    EXPECT_EQ(upper->info_hash.hex(), kHex);
    auto lower = parse_magnet("magnet:?xt=URN:BTIH:e6jelb7o6hqxrlmudcwvlsglwogvzqod");
    ASSERT_TRUE(lower) << lower.error().message();
    EXPECT_EQ(lower->info_hash.hex(), kHex);
}

TEST(Magnet, DecodesNameTrackersAndPeers) {
    const std::string uri =
        std::string("MAGNET:?dn=Grateful+Dead%20%2B%201990&xt=urn:btih:") + kHex +
        "&tr=http%3A%2F%2Ftracker.example%2Fannounce&tr=udp://t2.example:80"
        "&tr=http%3a%2f%2ftracker.example%2fannounce&x.pe=10.0.0.1:6881&x.pe=%5B::1%5D:51413"
        "&xl=12345&foo=bar&&kt=a+b";
    auto r = parse_magnet(uri);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->display_name, "Grateful Dead + 1990");
    EXPECT_EQ(r->trackers,
              (std::vector<std::string>{"http://tracker.example/announce", "udp://t2.example:80"}));
    EXPECT_EQ(r->peers, (std::vector<std::string>{"10.0.0.1:6881", "[::1]:51413"}));
}

TEST(Magnet, PlusStaysLiteralInTrackerUrls) {
    auto r = parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex + "&tr=http://t/a+b");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->trackers, (std::vector<std::string>{"http://t/a+b"}));
}

TEST(Magnet, HybridMagnetUsesTheBtihHash) {
    auto r =
        parse_magnet(std::string("magnet:?xt=urn:btmh:1220") + std::string(64, 'a') + "&xt=urn:btih:" + kHex);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->info_hash.hex(), kHex);
}

struct BadMagnet {
    std::string uri;
    const char* detail;  // must appear in the error's detail
};

class MagnetRejects : public testing::TestWithParam<BadMagnet> {};

TEST_P(MagnetRejects, WithInvalidMagnetAndTheParameter) {
    const auto& c = GetParam();
    auto r = parse_magnet(c.uri);
    ASSERT_FALSE(r) << c.uri;
    EXPECT_EQ(r.error().code, Errc::invalid_magnet);
    EXPECT_NE(r.error().detail.find(c.detail), std::string::npos) << c.uri << ": " << r.error().message();
    EXPECT_EQ(r.error().message().rfind("invalid magnet link: ", 0), 0u) << r.error().message();
}

const std::string kXt = std::string("xt=urn:btih:") + kHex;

INSTANTIATE_TEST_SUITE_P(
    Validation, MagnetRejects,
    testing::Values(
        BadMagnet{"http://example.com/", "not a magnet link"},
        BadMagnet{"magnet:xt=urn:btih:" + std::string(kHex), "expected '?'"},
        BadMagnet{"magnet:?dn=x&tr=http://t", "xt: missing"}, BadMagnet{"magnet:?", "xt: missing"},
        BadMagnet{"magnet:?xt=urn:btmh:1220" + std::string(64, 'a'), "v2-only magnet links"},
        BadMagnet{"magnet:?xt=urn:sha1:ABCDEF", "xt: not a BitTorrent info-hash"},
        BadMagnet{"magnet:?xt=urn:btih:" + std::string(kHex).substr(1), "40 hex or 32 base32"},
        BadMagnet{"magnet:?xt=urn:btih:", "not 0"},
        BadMagnet{"magnet:?xt=urn:btih:" + std::string(39, 'a') + "g", "xt: the info-hash is not valid hex"},
        BadMagnet{"magnet:?xt=urn:btih:" + std::string(31, 'A') + "1",
                  "xt: the info-hash is not valid base32"},
        BadMagnet{"magnet:?" + kXt + "&tr=%zz", "tr: bad percent-escape"},
        BadMagnet{"magnet:?" + kXt + "&dn=abc%4", "dn: bad percent-escape"},
        BadMagnet{"magnet:?" + kXt + "&x.pe=%", "x.pe: bad percent-escape"},
        BadMagnet{"magnet:?xt=urn%3Abtih%3", "xt: bad percent-escape"},
        BadMagnet{"magnet:?" + kXt + "&xt=urn:btih:" + std::string(40, 'b'), "two different urn:btih"}));

TEST(Magnet, MakeMagnetIsReadBackUnchanged) {
    auto parsed = parse_magnet(std::string("magnet:?xt=urn:btih:") + kHex);
    ASSERT_TRUE(parsed);
    const std::string name = "a b&c=d%e/ü+";
    const std::vector<std::vector<std::string>> trackers = {{"http://t.example/announce?x=1&y=2"},
                                                            {"udp://u.example:80", "http://v.example/a"}};
    const auto link = make_magnet(parsed->info_hash, name, trackers);
    EXPECT_EQ(link.find(' '), std::string::npos);
    auto back = parse_magnet(link);
    ASSERT_TRUE(back) << link;
    EXPECT_EQ(back->info_hash, parsed->info_hash);
    EXPECT_EQ(back->display_name, name);
    EXPECT_EQ(back->trackers, (std::vector<std::string>{"http://t.example/announce?x=1&y=2",
                                                        "udp://u.example:80", "http://v.example/a"}));
    EXPECT_EQ(make_magnet(parsed->info_hash, "", {}), std::string("magnet:?xt=urn:btih:") + kHex);
}

TEST(Magnet, LooksLikeMagnetIsACaseInsensitivePrefixCheck) {
    EXPECT_TRUE(looks_like_magnet("magnet:?xt=urn:btih:x"));
    EXPECT_TRUE(looks_like_magnet("MAGNET:"));
    EXPECT_TRUE(looks_like_magnet("Magnet:?"));
    EXPECT_FALSE(looks_like_magnet("magnet"));
    EXPECT_FALSE(looks_like_magnet(""));
    EXPECT_FALSE(looks_like_magnet(" magnet:?"));
    EXPECT_FALSE(looks_like_magnet("/tmp/file.torrent"));
}

}  // namespace
}  // namespace bt::metainfo
