#include "cli/text.hpp"

#include <gtest/gtest.h>

#include "cli/progress.hpp"

namespace bt::cli {
namespace {

TEST(Utf8, SequenceLengthAcceptsWellFormedAndRejectsTheRest) {
    EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
    EXPECT_EQ(utf8_sequence_length("\xC3\xA9", 0), 2u);
    EXPECT_EQ(utf8_sequence_length("\xE2\x82\xAC", 0), 3u);
    EXPECT_EQ(utf8_sequence_length("\xF0\x9F\x8E\xB5", 0), 4u);
    EXPECT_EQ(utf8_sequence_length("\xF4\x8F\xBF\xBF", 0), 4u);  // U+10FFFF
    EXPECT_EQ(utf8_sequence_length("\xEF\xBF\xBD", 0), 3u);
    for (const char* bad : {"\x80", "\xC1\xBF", "\xC3", "\xC3x", "\xE0\x80\x80", "\xED\xA0\x80",
                            "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xE2\x82"}) {
        EXPECT_EQ(utf8_sequence_length(bad, 0), 0u) << ::testing::PrintToString(std::string(bad));
    }
}

TEST(Printable, EscapesControlCharactersAndInvalidBytesButKeepsUtf8) {
    EXPECT_EQ(printable("plain"), "plain");
    EXPECT_EQ(printable("caf\xC3\xA9"), "caf\xC3\xA9");
    EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
    EXPECT_EQ(printable("a\nb\x7f"), "a\\x0ab\\x7f");
    EXPECT_EQ(printable("bad\xFF"), "bad\\xff");
}

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
