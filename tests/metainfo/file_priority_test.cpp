#include "metainfo/file_priority.hpp"

#include <gtest/gtest.h>

namespace bt::metainfo {
namespace {

using P = FilePriority;

// Files of the given lengths (pad files where `pad`), one after the other, in pieces of `piece_length`.
Metainfo torrent(const std::vector<std::pair<std::int64_t, bool>>& files, std::int64_t piece_length) {
    Metainfo m;
    m.name = "t";
    m.multi_file = true;
    m.piece_length = piece_length;
    for (const auto& [length, pad] : files) {
        FileEntry f;
        f.path = {"f" + std::to_string(m.files.size())};
        f.length = length;
        f.offset = m.total_size;
        f.pad = pad;
        m.files.push_back(f);
        m.total_size += length;
    }
    m.piece_hashes.resize(static_cast<std::size_t>((m.total_size + piece_length - 1) / piece_length));
    return m;
}

TEST(FilePriority, APieceTakesTheHighestPriorityOfTheFilesItHoldsBytesOf) {
    // Pieces of 10: f0 [0,15) f1 [15,15) empty, f2 [15,32) f3 [32,40)
    const auto m = torrent({{15, false}, {0, false}, {17, false}, {8, false}}, 10);
    EXPECT_EQ(piece_priorities(m, {}), (std::vector{P::normal, P::normal, P::normal, P::normal}));
    EXPECT_EQ(piece_priorities(m, std::vector{P::skip, P::high, P::low, P::skip}),
              (std::vector{P::skip, P::low, P::low, P::low}));  // the empty file holds no byte
    EXPECT_EQ(piece_priorities(m, std::vector{P::high, P::skip, P::skip, P::low}),
              (std::vector{P::high, P::high, P::skip, P::low}));
}

TEST(FilePriority, PadFilesHoldNothing) {
    // f0 [0,6) pad [6,10) f2 [10,20)
    const auto m = torrent({{6, false}, {4, true}, {10, false}}, 10);
    EXPECT_EQ(piece_priorities(m, std::vector{P::skip, P::high, P::normal}),
              (std::vector{P::skip, P::normal}));
    EXPECT_EQ(numbered_files(m), (std::vector{FileIndex{0}, FileIndex{2}}));
}

TEST(FilePriority, ParsesNumbersAndRangesAsAria2Does) {
    std::vector<std::uint32_t> n;
    EXPECT_FALSE(parse_file_numbers("1,3-5", n));
    EXPECT_EQ(n, (std::vector<std::uint32_t>{1, 3, 4, 5}));
    EXPECT_FALSE(parse_file_numbers(" 5 , 2-3,2 ", n));
    EXPECT_EQ(n, (std::vector<std::uint32_t>{2, 3, 5}));
    EXPECT_EQ(parse_file_numbers("", n), "no file numbers given");
    EXPECT_EQ(parse_file_numbers("0", n), "'0': expected a file number from 1, or a range such as 3-5");
    EXPECT_EQ(parse_file_numbers("1,,2", n), "'': expected a file number from 1, or a range such as 3-5");
    EXPECT_EQ(parse_file_numbers("5-3", n), "'5-3': a range must go upwards");
    EXPECT_EQ(parse_file_numbers("a", n), "'a': expected a file number from 1, or a range such as 3-5");
    EXPECT_EQ(parse_file_numbers("1-4000000000", n), "too many files listed");
    EXPECT_EQ(parse_file_numbers("99999999999", n),
              "'99999999999': expected a file number from 1, or a range such as 3-5");
}

TEST(FilePriority, ChoiceByNumbersSkipsTheOthersAndChecksEveryNumber) {
    // Numbers skip the pad file: 1 = f0, 2 = f2, 3 = f3.
    const auto m = torrent({{6, false}, {4, true}, {10, false}, {5, false}}, 10);
    std::vector<FilePriority> out;
    EXPECT_FALSE(choose_priorities(m, {}, out));
    EXPECT_EQ(out, (std::vector{P::normal, P::skip, P::normal, P::normal}));
    EXPECT_FALSE(choose_priorities(m, {{2, 3}, {3}, {}}, out));
    EXPECT_EQ(out, (std::vector{P::skip, P::skip, P::normal, P::high}));
    EXPECT_FALSE(choose_priorities(m, {{}, {}, {1}}, out));
    EXPECT_EQ(out, (std::vector{P::low, P::skip, P::normal, P::normal}));
    EXPECT_EQ(choose_priorities(m, {{4}, {}, {}}, out),
              "file 4: the torrent has 3 files (bitveil info lists them)");
    EXPECT_EQ(choose_priorities(m, {{1}, {2}, {}}, out), "file 2 has a priority but is not selected");
    EXPECT_EQ(choose_priorities(m, {{}, {1}, {1}}, out), "file 1 is given both high and low priority");
}

}  // namespace
}  // namespace bt::metainfo
