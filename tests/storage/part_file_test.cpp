#include "storage/part_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <span>
#include <vector>

#include "layouts.hpp"
#include "storage/file_storage.hpp"
#include "temp_folders.hpp"

namespace bt::storage {
namespace {

using test_support::content;
using test_support::make_layout;
using test_support::TempDir;
namespace fs = std::filesystem;

// Pieces of 10: a [0,14) b [14,20) pad [20,24) c [24,37) d [37,40). Shared pieces: 1 (a and b), 3 (c
// and d); piece 2 holds the pad and c only.
Layout four_files() {
    return make_layout({{{"a"}, 14}, {{"b"}, 6}, {{".pad", "4"}, 4, true}, {{"c"}, 13}, {{"d"}, 3}}, 10,
                       {"t"});
}

std::span<const std::uint8_t> piece_bytes(const std::vector<std::uint8_t>& data, std::uint32_t piece) {
    const std::size_t begin = piece * 10;
    return {data.data() + begin, std::min<std::size_t>(10, data.size() - begin)};
}

std::vector<bool> flags(std::initializer_list<bool> l) {
    return {l};
}

TEST(PartFile, SlotsAreThePiecesTwoDataFilesShare) {
    PartFile part("/nonexistent/x.parts", four_files());
    EXPECT_EQ(part.slot_count(), 2u);
    EXPECT_TRUE(part.has_slot(PieceIndex{1}));
    EXPECT_TRUE(part.has_slot(PieceIndex{3}));
    EXPECT_FALSE(part.has_slot(PieceIndex{0}));
    EXPECT_FALSE(part.has_slot(PieceIndex{2}));  // pad and c: one data file
}

TEST(PartFile, SkippedFilesAreNeverCreatedAndTheirSharedBytesReadBack) {
    TempDir dl, state;
    const Layout layout = four_files();
    const auto data = content(layout);
    Settings settings;
    settings.part_file = state / "x.parts";
    FileStorage s(layout, dl.path(), settings);
    ASSERT_TRUE(s.set_skipped(flags({true, false, false, true, false})));  // a and c skipped
    // b's pieces (1) and d's (3): each shared with a skipped file.
    for (const std::uint32_t p : {1u, 3u}) ASSERT_TRUE(s.write(PieceIndex{p}, 0, piece_bytes(data, p)));
    EXPECT_FALSE(fs::exists(dl / "t/a"));
    EXPECT_FALSE(fs::exists(dl / "t/c"));
    EXPECT_EQ(fs::file_size(dl / "t/b"), 6u);
    EXPECT_EQ(fs::file_size(dl / "t/d"), 3u);
    EXPECT_TRUE(fs::exists(state / "x.parts"));
    for (const std::uint32_t p : {1u, 3u}) {
        std::vector<std::uint8_t> back(10);
        ASSERT_TRUE(s.read(PieceIndex{p}, 0, back));
        EXPECT_TRUE(std::equal(back.begin(), back.end(), piece_bytes(data, p).begin())) << p;
    }
    EXPECT_TRUE(s.is_skipped(FileIndex{0}));
    ASSERT_TRUE(s.create_empty_files());
    EXPECT_FALSE(fs::exists(dl / "t/a"));
}

TEST(PartFile, AFileWantedAgainGetsTheBytesThePartFileHoldsAndThePartFileGoes) {
    TempDir dl, state;
    const Layout layout = four_files();
    const auto data = content(layout);
    Settings settings;
    settings.part_file = state / "x.parts";
    {
        FileStorage s(layout, dl.path(), settings);
        ASSERT_TRUE(s.set_skipped(flags({true, false, false, true, false})));
        for (const std::uint32_t p : {1u, 3u}) ASSERT_TRUE(s.write(PieceIndex{p}, 0, piece_bytes(data, p)));
    }
    // A new run: the absent files may have bytes in the part file.
    FileStorage s(layout, dl.path(), settings);
    s.route_absent_files_to_part_file();
    EXPECT_EQ(s.pieces_in_part_file(), (std::vector{PieceIndex{1}, PieceIndex{3}}));
    std::vector<std::uint8_t> back(10);
    ASSERT_TRUE(s.read(PieceIndex{3}, 0, back));
    EXPECT_TRUE(std::equal(back.begin(), back.end(), piece_bytes(data, 3).begin()));
    // c wanted now: its bytes of piece 3 move into it; a stays skipped.
    ASSERT_TRUE(s.set_skipped(flags({true, false, false, false, false})));
    ASSERT_TRUE(fs::exists(dl / "t/c"));
    EXPECT_EQ(fs::file_size(dl / "t/c"), 13u);  // 24..37: its bytes 6..13 came from piece 3
    ASSERT_TRUE(s.read(PieceIndex{3}, 0, back));
    EXPECT_TRUE(std::equal(back.begin(), back.end(), piece_bytes(data, 3).begin()));
    EXPECT_TRUE(fs::exists(state / "x.parts"));  // a still needs it
    ASSERT_TRUE(s.set_skipped({}));
    EXPECT_FALSE(fs::exists(state / "x.parts"));
    ASSERT_TRUE(s.read(PieceIndex{1}, 0, back));
    EXPECT_TRUE(std::equal(back.begin(), back.end(), piece_bytes(data, 1).begin()));
}

TEST(PartFile, AnotherLayoutsFileIsNotRead) {
    TempDir dl, state;
    const Layout layout = four_files();
    const auto data = content(layout);
    Settings settings;
    settings.part_file = state / "x.parts";
    {
        FileStorage s(layout, dl.path(), settings);
        ASSERT_TRUE(s.set_skipped(flags({true, false, false, true, false})));
        ASSERT_TRUE(s.write(PieceIndex{1}, 0, piece_bytes(data, 1)));
    }
    Layout other =
        make_layout({{{"a"}, 14}, {{"b"}, 6}, {{".pad", "4"}, 4, true}, {{"c"}, 13}, {{"d"}, 3}}, 20, {"t"});
    PartFile part(state / "x.parts", other);
    EXPECT_FALSE(part.usable());
    std::vector<std::uint8_t> back(4);
    EXPECT_FALSE(part.read(PieceIndex{0}, 0, back));
}

TEST(PartFile, ASkippedFileAlreadyOnDiskKeepsItsBytes) {
    TempDir dl, state;
    const Layout layout = four_files();
    const auto data = content(layout);
    Settings settings;
    settings.part_file = state / "x.parts";
    FileStorage s(layout, dl.path(), settings);
    ASSERT_TRUE(s.write(PieceIndex{1}, 0, piece_bytes(data, 1)));  // a and b both wanted: a exists
    ASSERT_TRUE(s.set_skipped(flags({true, false, false, false, false})));
    EXPECT_FALSE(fs::exists(state / "x.parts"));
    ASSERT_TRUE(s.write(PieceIndex{1}, 0, piece_bytes(data, 1)));
    EXPECT_FALSE(fs::exists(state / "x.parts"));
    EXPECT_EQ(fs::file_size(dl / "t/a"), 14u);
}

TEST(PartFile, APieceWhollyInASkippedFileIsNotStoredSoTheFileIsNeverCreated) {
    TempDir dl, state;
    // Pieces of 10: x [0,5) a [5,45) y [45,50); slots: piece 0 (x and a), piece 4 (a and y).
    const Layout layout = make_layout({{{"x"}, 5}, {{"a"}, 40}, {{"y"}, 5}}, 10, {"t"});
    const auto data = content(layout);
    Settings settings;
    settings.part_file = state / "x.parts";
    {
        FileStorage s(layout, dl.path(), settings);
        ASSERT_TRUE(s.set_skipped({false, true, false}));
        // Piece 2 was in flight when a was skipped: storing it would create a, and after a restart a's bytes
        // of piece 0 (in the part file) would no longer be read. It is refused, nothing written.
        const auto refused = s.write(PieceIndex{2}, 0, piece_bytes(data, 2));
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().ec, make_error_code(Errc::skipped_file));
        EXPECT_FALSE(fs::exists(dl / "t/a"));
        ASSERT_TRUE(s.write(PieceIndex{0}, 0, piece_bytes(data, 0)));
    }
    // Restart: a is still absent, so it is routed and piece 0 reads right.
    FileStorage s(layout, dl.path(), settings);
    s.route_absent_files_to_part_file();
    EXPECT_EQ(s.pieces_in_part_file(), (std::vector{PieceIndex{0}, PieceIndex{4}}));
    ASSERT_TRUE(s.set_skipped({false, true, false}));
    std::vector<std::uint8_t> back(10);
    ASSERT_TRUE(s.read(PieceIndex{0}, 0, back));
    EXPECT_TRUE(std::equal(back.begin(), back.end(), piece_bytes(data, 0).begin()));
    EXPECT_TRUE(fs::exists(state / "x.parts"));
}

}  // namespace
}  // namespace bt::storage
