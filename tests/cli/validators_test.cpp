#include "cli/validators.hpp"

#include <gtest/gtest.h>

namespace bt::cli {
namespace {

std::string check(const CLI::Validator& validator, std::string value) {
    return validator(value);
}

TEST(Validators, WholeNumber) {
    const auto port = whole_number(0, 65535);
    EXPECT_EQ(check(port, "0"), "");
    EXPECT_EQ(check(port, "65535"), "");
    EXPECT_EQ(check(port, "65536"), "expected a whole number from 0 to 65535, not '65536'");
    for (const char* bad : {"-1", "abc", "", "1.5", "12x", " 1", "+1", "99999999999999999999"}) {
        EXPECT_NE(check(port, bad), "") << bad;
    }
    EXPECT_EQ(check(non_negative_whole_number(), "0"), "");
    EXPECT_EQ(check(non_negative_whole_number(), "-5"), "expected a whole number, 0 or more, not '-5'");
}

TEST(Validators, PositiveNumber) {
    for (const char* good : {"1", "0.5", "2e3", "1.0"}) EXPECT_EQ(check(positive_number(), good), "") << good;
    for (const char* bad : {"0", "-1", "nan", "inf", "1e999", "", "x"}) {
        EXPECT_NE(check(positive_number(), bad), "") << bad;
    }
    EXPECT_EQ(check(positive_number(), "0"), "expected a number above 0, not '0'");
}

TEST(Validators, OneOfSuggestsTheClosest) {
    const auto policy = one_of({"disable", "allow", "prefer", "require"});
    EXPECT_EQ(check(policy, "prefer"), "");
    EXPECT_EQ(check(policy, "requre"),
              "expected disable, allow, prefer or require, not 'requre' (did you mean 'require'?)");
    EXPECT_EQ(check(policy, "Prefer"),
              "expected disable, allow, prefer or require, not 'Prefer' (did you mean "
              "'prefer'?)");
    EXPECT_EQ(check(one_of({"rc4", "header", "both"}), "x"), "expected rc4, header or both, not 'x'");
}

TEST(Validators, PieceSize) {
    for (const char* good : {"16K", "16384", "256KiB", "4M", "128M"})
        EXPECT_EQ(check(piece_size(), good), "") << good;
    for (const char* bad : {"8K", "48K", "256M", "0", "abc", "", "1000"}) {
        EXPECT_NE(check(piece_size(), bad), "") << bad;
    }
    EXPECT_EQ(check(piece_size(), "3KiB"),
              "expected a power of two from 16 KiB to 128 MiB (e.g. 256K, 4M), not '3KiB'");
}

TEST(Validators, ByteRate) {
    for (const char* good : {"0", "1K", "1024", "500K", "2M", "1G"}) {
        EXPECT_EQ(check(byte_rate(), good), "") << good;
    }
    for (const char* bad : {"3", "1023", "-1", "2X", "", "fast"}) {
        EXPECT_NE(check(byte_rate(), bad), "") << bad;
    }
    EXPECT_EQ(check(byte_rate(), "100"),
              "expected a rate in bytes per second of at least 1K (e.g. 500K, 2M; 0 for none), not '100'");
}

TEST(Validators, LongValuesAreCut) {
    const std::string text = check(whole_number(0, 1), std::string(500, 'x'));
    EXPECT_EQ(text, "expected a whole number from 0 to 1, not '" + std::string(40, 'x') + "...'");
}

}  // namespace
}  // namespace bt::cli
