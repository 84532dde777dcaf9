#include "cli/text.hpp"

#include <gtest/gtest.h>

#include "cli/progress.hpp"

namespace bt::cli {
namespace {

TEST(HumanSize, UsesBinaryUnitsWithOneDecimal) {
    EXPECT_EQ(human_size(0), "0 B");
    EXPECT_EQ(human_size(1023), "1023 B");
    EXPECT_EQ(human_size(1024), "1.0 KiB");
    EXPECT_EQ(human_size(1536), "1.5 KiB");
    EXPECT_EQ(human_size(16 << 20), "16.0 MiB");
    EXPECT_EQ(human_size(std::int64_t{3} << 40), "3.0 TiB");
    EXPECT_EQ(human_size(INT64_MAX), "8.0 EiB");
}

TEST(ParseSize, AcceptsBytesAndBinarySuffixes) {
    EXPECT_EQ(parse_size("16384"), 16384);
    EXPECT_EQ(parse_size("16K"), 16384);
    EXPECT_EQ(parse_size("16kib"), 16384);
    EXPECT_EQ(parse_size("4M"), 4 << 20);
    EXPECT_EQ(parse_size("1MiB"), 1 << 20);
    EXPECT_EQ(parse_size("1G"), 1 << 30);
    EXPECT_EQ(parse_size("7B"), 7);
    for (const char* bad :
         {"", "K", "-1", "1.5M", "12 K", "1X", "99999999999999999999", "9223372036854775807K"}) {
        EXPECT_FALSE(parse_size(bad).has_value()) << bad;
    }
}

TEST(FormatUtc, FormatsSecondsSinceTheEpoch) {
    EXPECT_EQ(format_utc(0), "1970-01-01 00:00:00 UTC");
    EXPECT_EQ(format_utc(1'700'000'000), "2023-11-14 22:13:20 UTC");
    EXPECT_FALSE(format_utc(INT64_MAX).has_value());
}

TEST(ProgressText, ShowsPercentSizesRateAndEta) {
    EXPECT_EQ(progress_text("hashing", 0, 1024, 0.0), "hashing   0%  0 B / 1.0 KiB");
    EXPECT_EQ(progress_text("hashing", 512 << 20, 1024 << 20, 2.0),
              "hashing  50%  512.0 MiB / 1.0 GiB  256.0 MiB/s  ETA 0:02");
    EXPECT_EQ(progress_text("hashing", 1024, 1024, 1.0), "hashing 100%  1.0 KiB / 1.0 KiB  1.0 KiB/s");
}

}  // namespace
}  // namespace bt::cli
