#include <gtest/gtest.h>

#include "cli/commands.hpp"

namespace bt::cli {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;

TEST(DefaultPieceLength, SmallestPowerOfTwoGivingAtMost2000PiecesWithin16KiBAnd16MiB) {
    struct Case {
        std::int64_t total;
        std::int64_t piece;
    };
    for (const auto& c :
         {Case{1, 16 * kKiB}, Case{2000 * 16 * kKiB, 16 * kKiB}, Case{2000 * 16 * kKiB + 1, 32 * kKiB},
          Case{100 * kMiB, 64 * kKiB}, Case{kGiB, kMiB}, Case{4 * kGiB, 4 * kMiB}, Case{30 * kGiB, 16 * kMiB},
          Case{4000 * kGiB, 16 * kMiB}}) {
        EXPECT_EQ(default_piece_length(c.total), c.piece) << c.total;
        EXPECT_TRUE(is_valid_piece_length(default_piece_length(c.total)));
    }
}

TEST(DefaultPieceLength, PieceCountStaysBetween1000And2000WhenNotClamped) {
    for (std::int64_t total = 64 * kMiB; total <= 16 * kGiB; total = total * 3 / 2) {
        const std::int64_t piece = default_piece_length(total);
        const std::int64_t pieces = (total + piece - 1) / piece;
        EXPECT_LE(pieces, 2000) << total;
        EXPECT_GT(pieces, 1000) << total;
    }
}

TEST(PieceLengthRule, PowerOfTwoFrom16KiBTo128MiB) {
    EXPECT_TRUE(is_valid_piece_length(16 * kKiB));
    EXPECT_TRUE(is_valid_piece_length(kMiB));
    EXPECT_TRUE(is_valid_piece_length(128 * kMiB));
    for (std::int64_t bad :
         {std::int64_t{0}, std::int64_t{-16384}, 8 * kKiB, 16 * kKiB + 1, 48 * kKiB, 256 * kMiB}) {
        EXPECT_FALSE(is_valid_piece_length(bad)) << bad;
    }
}

TEST(TrackerUrlRule, AcceptsWhatTheAnnouncerCanReach) {
    for (const char* good :
         {"http://tracker.example/announce", "http://tracker.example:6969/announce?passkey=x#frag",
          "https://tracker.example/announce", "http://127.0.0.1:1/a", "http://[::1]:6969/announce",
          "https://user:secret@tracker.example/announce", "http://tracker.example",
          "udp://tracker.example:6969", "udp://tracker.example:6969/announce",
          "udp://[2001:db8::1]:80/announce?x=1"}) {
        EXPECT_EQ(tracker_url_problem(good), "") << good;
    }
}

TEST(TrackerUrlRule, RefusesOtherSchemesMissingHostsAndUdpWithoutPort) {
    struct Case {
        const char* url;
        const char* says;
    };
    for (const auto& c :
         {Case{"ftp://x/announce", "cannot announce to ftp://"},
          Case{"wss://tracker.example/announce", "cannot announce to wss://"},
          Case{"HTTP://tracker.example/announce", "lower case (http://)"},
          Case{"Udp://tracker.example:1/announce", "lower case (udp://)"},
          Case{"udp://tracker.example/announce", "needs a host and a port"},
          Case{"udp://tracker.example:0/announce", "needs a host and a port"},
          Case{"udp://:6969/announce", "needs a host and a port"},
          Case{"udp://::1:6969/announce", "needs a host and a port"},
          Case{"http:///announce", "no valid host"}, Case{"http://:80/announce", "no valid host"},
          Case{"https://tracker.example:99999/announce", "no valid host"},
          Case{"http://tracker.example:port/announce", "no valid host"},
          Case{"http://user@/announce", "no valid host"}, Case{"tracker.example/announce", "not a URL"},
          Case{"://tracker.example", "not a URL"}, Case{"", "not a URL"}, Case{"not a url", "spaces"},
          Case{"http://tracker.example/a\nb", "control characters"}}) {
        const auto problem = tracker_url_problem(c.url);
        EXPECT_NE(problem.find(c.says), std::string::npos) << c.url << " -> " << problem;
    }
}

}  // namespace
}  // namespace bt::cli
