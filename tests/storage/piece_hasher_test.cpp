#include "storage/piece_hasher.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace bt::storage {
namespace {

namespace fs = std::filesystem;

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "bt_piece_hasher_XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// Deterministic bytes that differ from file to file and from offset to offset.
std::string pattern(std::size_t size, std::uint32_t seed) {
    std::string out(size, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& c : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
    return out;
}

void write_file(const fs::path& path, const std::string& data) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

// The digests the data must give, computed in memory.
std::vector<crypto::Sha1Digest> reference(const std::string& all, std::int64_t piece_length) {
    std::vector<crypto::Sha1Digest> out;
    for (std::size_t pos = 0; pos < all.size(); pos += static_cast<std::size_t>(piece_length)) {
        out.push_back(
            crypto::sha1(std::string_view(all).substr(pos, static_cast<std::size_t>(piece_length))));
    }
    return out;
}

struct Fixture {
    TempDir dir;
    std::vector<HashSource> sources;
    std::string all;  // the concatenated data

    // Writes one file per size (a negative size is a pad file of -size zeros, not on disk).
    explicit Fixture(const std::vector<std::int64_t>& sizes) {
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            if (sizes[i] < 0) {
                sources.push_back({"", -sizes[i], true});
                all.append(static_cast<std::size_t>(-sizes[i]), '\0');
                continue;
            }
            const auto path = dir.path() / ("d" + std::to_string(i % 3)) / ("f" + std::to_string(i));
            const auto data = pattern(static_cast<std::size_t>(sizes[i]), static_cast<std::uint32_t>(i + 1));
            write_file(path, data);
            sources.push_back({path.string(), sizes[i], false});
            all += data;
        }
    }
};

HashReport hash(const std::vector<HashSource>& sources, std::int64_t piece_length, unsigned threads) {
    HashOptions opt;
    opt.threads = threads;
    auto r = hash_pieces(sources, piece_length, opt);
    EXPECT_TRUE(r.has_value());
    return r ? std::move(*r) : HashReport{};
}

void expect_all_match(const HashReport& report, const std::string& all, std::int64_t piece_length) {
    const auto want = reference(all, piece_length);
    ASSERT_EQ(report.pieces.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        ASSERT_TRUE(report.pieces[i].has_value()) << "piece " << i;
        EXPECT_EQ(*report.pieces[i], want[i]) << "piece " << i;
    }
    EXPECT_TRUE(report.complete());
    EXPECT_TRUE(report.errors.empty());
    EXPECT_FALSE(report.cancelled);
}

struct LayoutCase {
    const char* what;
    std::vector<std::int64_t> sizes;
    std::int64_t piece_length;
};

class PieceHasherLayouts : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(PieceHasherLayouts, DigestsMatchHashingTheConcatenatedDataInMemory) {
    const auto& c = GetParam();
    Fixture f(c.sizes);
    for (unsigned threads : {1u, 2u, 4u}) {
        SCOPED_TRACE(threads);
        expect_all_match(hash(f.sources, c.piece_length, threads), f.all, c.piece_length);
    }
}

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;

INSTANTIATE_TEST_SUITE_P(
    Layouts, PieceHasherLayouts,
    ::testing::Values(
        LayoutCase{"one byte", {1}, 16 * kKiB}, LayoutCase{"exactly one piece", {16 * kKiB}, 16 * kKiB},
        LayoutCase{"odd single file", {100'003}, 16 * kKiB},
        LayoutCase{"files smaller than a piece", {1, 2, 3, 5, 7, 11}, 16 * kKiB},
        LayoutCase{"files straddling pieces", {20'000, 13'000, 1, 40'000}, 16 * kKiB},
        LayoutCase{"empty files between and at the ends", {0, 5000, 0, 0, 30'000, 0}, 16 * kKiB},
        LayoutCase{"boundary exactly at file end", {16 * kKiB, 16 * kKiB, 100}, 16 * kKiB},
        LayoutCase{"several read blocks per piece", {3 * kMiB + 17, 12345}, 4 * kMiB},
        LayoutCase{"many chunks", {9 * kMiB + 1, 7 * kMiB - 3}, 64 * kKiB},
        LayoutCase{"pad files are zeros not on disk", {10'000, -6384, 16 * kKiB, -1, 33}, 16 * kKiB}),
    [](const auto& param_info) {
        std::string name = param_info.param.what;
        for (auto& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
        return name;
    });

TEST(PieceHasher, OneAndFourThreadsGiveTheSameDigests) {
    Fixture f({3 * kMiB + 1, 1, 5 * kMiB - 7, 0, 777});
    const auto one = hash(f.sources, 32 * kKiB, 1);
    const auto four = hash(f.sources, 32 * kKiB, 4);
    EXPECT_EQ(one.pieces, four.pieces);
    expect_all_match(four, f.all, 32 * kKiB);
}

TEST(PieceHasher, MissingFileMarksOnlyThePiecesItTouchesUnreadable) {
    // Pieces of 16 KiB: file 0 covers pieces 0-1 and the start of 2, file 1 (missing) covers part of
    // piece 2 to the middle of piece 4, file 2 the rest.
    const std::int64_t pl = 16 * kKiB;
    Fixture f({40'000, 30'000, 50'000});
    fs::remove(f.sources[1].path);
    for (unsigned threads : {1u, 4u}) {
        const auto report = hash(f.sources, pl, threads);
        const auto want = reference(f.all, pl);
        ASSERT_EQ(report.pieces.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            const std::int64_t begin = static_cast<std::int64_t>(i) * pl;
            const std::int64_t end = begin + pl;
            const bool touches_missing = begin < 70'000 && end > 40'000;
            if (touches_missing) {
                EXPECT_FALSE(report.pieces[i].has_value()) << "piece " << i;
            } else {
                ASSERT_TRUE(report.pieces[i].has_value()) << "piece " << i;
                EXPECT_EQ(*report.pieces[i], want[i]) << "piece " << i;
            }
        }
        EXPECT_FALSE(report.complete());
        ASSERT_EQ(report.errors.size(), 1u);
        EXPECT_EQ(report.errors[0].file, FileIndex(1));
        EXPECT_EQ(report.errors[0].error.op, Op::open);
        EXPECT_EQ(report.errors[0].error.ec, std::errc::no_such_file_or_directory);
        EXPECT_EQ(report.errors[0].error.file, f.sources[1].path);
    }
}

TEST(PieceHasher, ShortFileMarksPiecesFromWhereItEndsUnreadable) {
    const std::int64_t pl = 16 * kKiB;
    Fixture f({100'000, 20'000});
    fs::resize_file(f.sources[0].path, 50'000);  // pieces 0-2 are intact, 3 onwards in file 0 are not
    const auto report = hash(f.sources, pl, 2);
    const auto want = reference(f.all, pl);
    ASSERT_EQ(report.pieces.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const std::int64_t begin = static_cast<std::int64_t>(i) * pl;
        const std::int64_t end = std::min<std::int64_t>(begin + pl, 120'000);
        const bool readable = end <= 50'000 || begin >= 100'000;
        EXPECT_EQ(report.pieces[i].has_value(), readable) << "piece " << i;
        if (readable && report.pieces[i]) {
            EXPECT_EQ(*report.pieces[i], want[i]) << "piece " << i;
        }
    }
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_EQ(report.errors[0].file, FileIndex(0));
    EXPECT_EQ(report.errors[0].error.op, Op::read);
    EXPECT_EQ(report.errors[0].error.ec, make_error_code(Errc::unexpected_eof));
}

TEST(PieceHasher, LongerFileOnDiskIsReadOnlyUpToItsLength) {
    Fixture f({10'000, 10'000});
    std::ofstream(f.sources[0].path, std::ios::binary | std::ios::app)
        << "trailing bytes that are not in the torrent";
    expect_all_match(hash(f.sources, 16 * kKiB, 1), f.all, 16 * kKiB);
}

TEST(PieceHasher, FolderWhereAFileShouldBeIsAReadError) {
    Fixture f({30'000});
    fs::remove(f.sources[0].path);
    fs::create_directory(f.sources[0].path);
    const auto report = hash(f.sources, 16 * kKiB, 1);
    EXPECT_EQ(report.pieces, (std::vector<std::optional<crypto::Sha1Digest>>(2)));
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_EQ(report.errors[0].error.ec, std::errc::is_a_directory);
}

TEST(PieceHasher, OnlyTheSelectedPiecesAreHashed) {
    // Piece runs that start and end mid-chunk and mid-file, with one and three threads; the last piece
    // is short. Unselected pieces stay unhashed even though their data is readable.
    Fixture f({100 * kKiB + 3, 7, 60 * kKiB, 33 * kKiB});
    const std::int64_t pl = 16 * kKiB;
    const auto want = reference(f.all, pl);
    Bitfield only(static_cast<std::uint32_t>(want.size()));
    for (std::uint32_t p : {0u, 2u, 3u, 4u, 9u, 12u}) only.set(PieceIndex{p});
    only.set(PieceIndex{static_cast<std::uint32_t>(want.size() - 1)});
    for (unsigned threads : {1u, 3u}) {
        HashOptions opt;
        opt.threads = threads;
        opt.only = &only;
        std::int64_t last_progress = 0;
        opt.on_progress = [&](std::int64_t done) { last_progress = done; };
        auto r = hash_pieces(f.sources, pl, opt);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->pieces.size(), want.size());
        for (std::uint32_t p = 0; p < want.size(); ++p) {
            if (only.test(PieceIndex{p})) {
                ASSERT_TRUE(r->pieces[p].has_value()) << "piece " << p;
                EXPECT_EQ(*r->pieces[p], want[p]) << "piece " << p;
            } else {
                EXPECT_FALSE(r->pieces[p].has_value()) << "piece " << p;
            }
        }
        EXPECT_TRUE(r->errors.empty());
        EXPECT_EQ(last_progress, static_cast<std::int64_t>(f.all.size()))
            << "skipped bytes count as processed";
    }
}

TEST(PieceHasher, UnselectedPiecesOfAMissingFileReportNoError) {
    Fixture f({64 * kKiB, 64 * kKiB});
    fs::remove(f.sources[1].path);
    Bitfield only(8);
    for (std::uint32_t p = 0; p < 4; ++p) only.set(PieceIndex{p});  // the first file's pieces
    HashOptions opt;
    opt.only = &only;
    auto r = hash_pieces(f.sources, 16 * kKiB, opt);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->errors.empty()) << "the missing file was opened although none of its pieces was selected";
    for (std::uint32_t p = 0; p < 4; ++p) EXPECT_TRUE(r->pieces[p].has_value()) << p;
}

TEST(PieceHasher, ProgressNeverDecreasesAndEndsAtTheTotal) {
    Fixture f({6 * kMiB + 5, 3 * kMiB});
    HashOptions opt;
    opt.threads = 2;
    opt.progress_interval = std::chrono::milliseconds(1);
    std::vector<std::int64_t> seen;
    opt.on_progress = [&](std::int64_t done) { seen.push_back(done); };
    auto r = hash_pieces(f.sources, 16 * kKiB, opt);
    ASSERT_TRUE(r);
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(seen.back(), static_cast<std::int64_t>(f.all.size()));
}

TEST(PieceHasher, ProgressCountsUnreadableBytesToo) {
    Fixture f({50'000, 50'000});
    fs::remove(f.sources[0].path);
    HashOptions opt;
    std::int64_t last = -1;
    opt.on_progress = [&](std::int64_t done) { last = done; };
    ASSERT_TRUE(hash_pieces(f.sources, 16 * kKiB, opt));
    EXPECT_EQ(last, 100'000);
}

TEST(PieceHasher, StopRequestedBeforehandLeavesPiecesUnhashed) {
    Fixture f({200'000});
    std::stop_source stop;
    stop.request_stop();
    HashOptions opt;
    opt.stop = stop.get_token();
    auto r = hash_pieces(f.sources, 16 * kKiB, opt);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->cancelled);
    EXPECT_FALSE(r->complete());
    EXPECT_EQ(r->pieces.size(), 13u);
}

TEST(PieceHasher, EmptyDataHasNoPieces) {
    Fixture f({0, 0});
    auto r = hash_pieces(f.sources, 16 * kKiB);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->pieces.empty());
    EXPECT_TRUE(r->complete());
}

TEST(PieceHasher, RefusesAnInvalidLayout) {
    const std::vector<HashSource> negative{{"x", -1, false}};
    const std::vector<HashSource> overflow{{"x", INT64_MAX, true}, {"y", 1, true}};
    const std::vector<HashSource> ok{{"x", 1, true}};
    for (const auto& [files, pl] : {std::pair{ok, std::int64_t{0}}, std::pair{ok, std::int64_t{-16}},
                                    std::pair{negative, 16 * kKiB}, std::pair{overflow, 16 * kKiB}}) {
        auto r = hash_pieces(files, pl);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().ec, make_error_code(Errc::invalid_layout));
    }
}

TEST(PieceHasher, PieceCountRoundsUp) {
    EXPECT_EQ(piece_count(0, 16), 0);
    EXPECT_EQ(piece_count(1, 16), 1);
    EXPECT_EQ(piece_count(16, 16), 1);
    EXPECT_EQ(piece_count(17, 16), 2);
    EXPECT_EQ(piece_count(10, 0), 0);
}

}  // namespace
}  // namespace bt::storage
