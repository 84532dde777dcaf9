#include "core/printable.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bt {
namespace {

TEST(Utf8SequenceLength, AcceptsWellFormedAndRejectsTheRest) {
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

struct Case {
    const char* what;
    std::string input;
    std::string expected;
};

TEST(Printable, KeepsPrintableUtf8AndEscapesEverythingElse) {
    const Case cases[] = {
        {"plain ASCII", "ubuntu-24.04-desktop-amd64.iso", "ubuntu-24.04-desktop-amd64.iso"},
        {"valid UTF-8", "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80",
         "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80"},
        {"ESC sequence: colour", "\x1b[31mred", "\\x1b[31mred"},
        {"ESC sequence: clear screen", "\x1b[2J", "\\x1b[2J"},
        {"OSC: set the window title", "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"},
        {"newline and CR cannot start a new line", "a\nb\rc", "a\\x0ab\\x0dc"},
        {"NUL", std::string("a\0b", 3), "a\\x00b"},
        {"DEL", "x\x7fy", "x\\x7fy"},
        {"C1 CSI (U+009B)",
         "\xc2\x9b"
         "31m",
         "\\xc2\\x9b31m"},
        {"C1 NEL (U+0085)", "\xc2\x85", "\\xc2\\x85"},
        {"first character after C1 (U+00A0) is kept", "\xc2\xa0", "\xc2\xa0"},
        {"a lone continuation byte", "a\x80z", "a\\x80z"},
        {"an invalid byte", "bad\xff", "bad\\xff"},
        {"a truncated sequence", "a\xe6\x97", "a\\xe6\\x97"},
        {"an overlong encoding", "\xc0\xaf", "\\xc0\\xaf"},
        {"a surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
        {"a backslash is kept", "a\\b", "a\\b"},
        {"empty", "", ""},
    };
    for (const auto& c : cases) EXPECT_EQ(printable(c.input), c.expected) << c.what;
}

TEST(Printable, CutsLongTextAtACharacterBoundary) {
    EXPECT_EQ(printable(std::string(500, 'x'), 10), std::string(10, 'x') + "...");
    EXPECT_EQ(printable("abc", 3), "abc");
    EXPECT_EQ(printable("abcd", 3), "abc...");
    // A 2-byte letter that does not fit whole is left out.
    EXPECT_EQ(printable("a\xc3\xa9\xc3\xa9", 4), "a\xc3\xa9...");
    EXPECT_EQ(printable("a\xc3\xa9\xc3\xa9", 3), "a\xc3\xa9...");
    EXPECT_EQ(printable("a\xc3\xa9", 2), "a...");
    // The bound counts input bytes: an escaped byte counts once.
    EXPECT_EQ(printable("\x1b\x1b\x1b", 2), "\\x1b\\x1b...");
    EXPECT_EQ(printable("abc", 0), "...");
}

TEST(Printable, OutputHasNoControlBytes) {
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    const std::string out = printable(all + all);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto b = static_cast<unsigned char>(out[i]);
        EXPECT_FALSE(b < 0x20 || b == 0x7f) << "control byte at " << i;
        if (b == 0xc2 && i + 1 < out.size()) {
            EXPECT_GE(static_cast<unsigned char>(out[i + 1]), 0xa0) << "C1 control at " << i;
        }
    }
}

}  // namespace
}  // namespace bt
