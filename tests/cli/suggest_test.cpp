#include "cli/suggest.hpp"

#include <gtest/gtest.h>

namespace bt::cli {
namespace {

using Names = std::vector<std::string>;

const Names kSubcommands{"download", "seed", "create", "info"};
const Names kDownloadOptions{"-h",
                             "--help",
                             "-d",
                             "--dir",
                             "--port",
                             "--listen-address",
                             "--peer",
                             "--seed-ratio",
                             "--seed-time",
                             "--max-peers",
                             "--stats-json",
                             "--encryption",
                             "--encryption-level",
                             "-q",
                             "--quiet",
                             "-v",
                             "--verbose",
                             "--seed"};
const Names kCreateOptions{"-h",        "--help",       "-o",        "--output",  "-t",
                           "--tracker", "--piece-size", "--private", "--comment", "-f",
                           "--force",   "--threads",    "-q",        "--quiet"};

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("abc", ""), 3u);
    EXPECT_EQ(edit_distance("download", "download"), 0u);
    EXPECT_EQ(edit_distance("dowload", "download"), 1u);    // deletion
    EXPECT_EQ(edit_distance("downlooad", "download"), 1u);  // insertion
    EXPECT_EQ(edit_distance("downlaad", "download"), 1u);   // substitution
    EXPECT_EQ(edit_distance("dwonload", "download"), 1u);   // swap of neighbours
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // optimal string alignment: no edit of a swapped pair
    EXPECT_EQ(edit_distance("bogus", "seed"), 5u);
    EXPECT_EQ(edit_distance("Seed", "seed"), 1u);  // case counts
}

TEST(EditDistance, IsSymmetric) {
    for (const auto& a : kDownloadOptions) {
        for (const auto& b : kDownloadOptions) EXPECT_EQ(edit_distance(a, b), edit_distance(b, a)) << a << b;
    }
}

TEST(ClosestNames, SuggestsTheSubcommandOneTypoAway) {
    EXPECT_EQ(closest_names("dowload", kSubcommands), Names{"download"});
    EXPECT_EQ(closest_names("crate", kSubcommands), Names{"create"});
    EXPECT_EQ(closest_names("ifno", kSubcommands), Names{"info"});
    EXPECT_EQ(closest_names("sed", kSubcommands), Names{"seed"});
    EXPECT_EQ(closest_names("Seed", kSubcommands), Names{"seed"});
}

TEST(ClosestNames, SuggestsNothingForWordsFarFromEveryName) {
    EXPECT_TRUE(closest_names("bogus", kSubcommands).empty());
    EXPECT_TRUE(closest_names("frobnicate", kSubcommands).empty());
    EXPECT_TRUE(closest_names("x", kSubcommands).empty());
    EXPECT_TRUE(closest_names("", kSubcommands).empty());
    EXPECT_TRUE(closest_names("--", kDownloadOptions).empty());
    EXPECT_TRUE(closest_names("--json", kDownloadOptions).empty());
    EXPECT_TRUE(closest_names("download", {}).empty());
    EXPECT_TRUE(closest_names("download", kSubcommands).empty());  // the name itself is no suggestion
}

TEST(ClosestNames, SuggestsTheLongOptionOneTypoAway) {
    EXPECT_EQ(closest_names("--seed-tme", kDownloadOptions), Names{"--seed-time"});
    EXPECT_EQ(closest_names("--seed-tiem", kDownloadOptions), Names{"--seed-time"});
    EXPECT_EQ(closest_names("--prot", kDownloadOptions), Names{"--port"});
    EXPECT_EQ(closest_names("--max-per", kDownloadOptions), Names{"--max-peers"});
    EXPECT_EQ(closest_names("-seed-time", kDownloadOptions), Names{"--seed-time"});  // one dash
    EXPECT_EQ(closest_names("--encrytpion", kDownloadOptions), Names{"--encryption"});
}

TEST(ClosestNames, IgnoresTheValueAfterAnEqualsSign) {
    EXPECT_EQ(closest_names("--seed-tme=60", kDownloadOptions), Names{"--seed-time"});
    EXPECT_EQ(closest_names("--prot=0", kDownloadOptions), Names{"--port"});
}

TEST(ClosestNames, SuggestsTheOnlyNameAWordOfThreeOrMoreStarts) {
    EXPECT_EQ(closest_names("--seed-r", kDownloadOptions), Names{"--seed-ratio"});
    EXPECT_EQ(closest_names("--listen", kDownloadOptions), Names{"--listen-address"});
    EXPECT_EQ(closest_names("down", kSubcommands), Names{"download"});
    // A prefix of several names falls back to the distance: "--see" is one letter from "--seed".
    EXPECT_EQ(closest_names("--see", kDownloadOptions), Names{"--seed"});
}

TEST(ClosestNames, ReturnsEveryNameAtTheSmallestDistanceInOrder) {
    EXPECT_EQ(closest_names("abcd", Names{"abxd", "zzzz", "abcx"}), (Names{"abxd", "abcx"}));
    EXPECT_EQ(closest_names("abcdef", Names{"abcdxy", "abcdez", "abcdeq", "abcdew", "abcdev"}),
              (Names{"abcdez", "abcdeq", "abcdew"}));  // at most three
}

TEST(ClosestNames, SuggestsLongOptionsForAnUnknownShortOne) {
    EXPECT_EQ(closest_names("-p", kCreateOptions), (Names{"--piece-size", "--private"}));
    EXPECT_EQ(closest_names("-P", kCreateOptions), (Names{"--piece-size", "--private"}));
    EXPECT_EQ(closest_names("-c", kCreateOptions), Names{"--comment"});
    EXPECT_EQ(closest_names("-V", Names{"-h", "--help", "--version"}), Names{"--version"});
    EXPECT_TRUE(closest_names("-z", kCreateOptions).empty());
    // Never another short option: one letter from "-x" is every other letter.
    EXPECT_TRUE(closest_names("-x", Names{"-h", "-q"}).empty());
}

TEST(DidYouMean, ListsTheSuggestions) {
    EXPECT_EQ(did_you_mean({}), "");
    EXPECT_EQ(did_you_mean({"download"}), " (did you mean 'download'?)");
    EXPECT_EQ(did_you_mean({"--piece-size", "--private"}), " (did you mean '--piece-size' or '--private'?)");
    EXPECT_EQ(did_you_mean({"a", "b", "c"}), " (did you mean 'a', 'b' or 'c'?)");
}

}  // namespace
}  // namespace bt::cli
