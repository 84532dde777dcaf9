#include "storage/piece_hasher.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "storage/file_storage.hpp"

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

TEST(PieceHasher, NoSelectedPieceReadsNothingAndStillReportsTheTotal) {
    Fixture f({64 * kKiB, 64 * kKiB + 3});
    fs::remove(f.sources[1].path);
    Bitfield only(9);  // resume data vouches for every piece
    HashOptions opt;
    opt.only = &only;
    std::vector<std::int64_t> seen;
    opt.on_progress = [&](std::int64_t done) { seen.push_back(done); };
    auto r = hash_pieces(f.sources, 16 * kKiB, opt);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->pieces.size(), 9u);
    for (const auto& piece : r->pieces) EXPECT_FALSE(piece.has_value());
    EXPECT_TRUE(r->errors.empty());
    EXPECT_FALSE(r->cancelled);
    EXPECT_EQ(seen, std::vector<std::int64_t>{128 * kKiB + 3});
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

// ---- The start-up recheck: a torrent's files as FileStorage finds them in its download folder ----

// A multi-file torrent "t" with three 16 KiB files, one piece each, and a pad file; the files are written
// into `downloads` unless `write` says otherwise.
struct TorrentOnDisk {
    TempDir dir;
    fs::path downloads = dir.path() / "downloads";
    fs::path outside = dir.path() / "outside";
    Layout layout;
    std::string all;

    TorrentOnDisk() {
        fs::create_directories(downloads);
        fs::create_directories(outside);
        layout.piece_length = 16 * 1024;
        layout.root = {"t"};
        const std::vector<std::pair<std::vector<std::string>, bool>> files{
            {{"a"}, false}, {{"sub", "b"}, false}, {{".pad", "0"}, true}, {{"c"}, false}};
        for (std::size_t i = 0; i < files.size(); ++i) {
            metainfo::FileEntry f;
            f.path = files[i].first;
            f.length = layout.piece_length;
            f.offset = layout.total_size;
            f.pad = files[i].second;
            layout.total_size += f.length;
            layout.files.push_back(f);
            all += f.pad ? std::string(static_cast<std::size_t>(f.length), '\0')
                         : pattern(static_cast<std::size_t>(f.length), static_cast<std::uint32_t>(i + 1));
        }
    }
    std::string data(std::size_t file) const {
        return all.substr(static_cast<std::size_t>(layout.files[file].offset),
                          static_cast<std::size_t>(layout.files[file].length));
    }
    fs::path on_disk(std::size_t file) const {
        fs::path p = downloads / "t";
        for (const auto& c : layout.files[file].path) p /= c;
        return p;
    }
    void write_all() {
        for (std::size_t i = 0; i < layout.files.size(); ++i) {
            if (!layout.files[i].pad) write_file(on_disk(i), data(i));
        }
    }
};

// Runs the recheck on another thread so that a test fails instead of hanging when it blocks: after
// `limit`, `unblock` runs (it must let the recheck finish) and the result is nullopt.
template <class Unblock>
std::optional<Result<HashReport, StorageError>> recheck_within(const FileStorage& storage,
                                                               std::chrono::seconds limit, Unblock unblock) {
    auto job = std::async(std::launch::async, [&storage] { return hash_pieces(storage, HashOptions{}); });
    if (job.wait_for(limit) == std::future_status::ready) return job.get();
    unblock();
    job.wait();
    return std::nullopt;
}

TEST(PieceHasherRecheck, HashesTheTorrentsFilesInTheDownloadFolder) {
    TorrentOnDisk t;
    t.write_all();
    FileStorage storage(t.layout, t.downloads.string());
    for (unsigned threads : {1u, 3u}) {
        HashOptions opt;
        opt.threads = threads;
        auto r = hash_pieces(storage, opt);
        ASSERT_TRUE(r);
        expect_all_match(*r, t.all, t.layout.piece_length);
    }
}

TEST(PieceHasherRecheck, DoesNotReadThroughASymlinkToAFileOutside) {
    TorrentOnDisk t;
    t.write_all();
    // The right bytes, but outside the download folder: a planted link must not make them count.
    write_file(t.outside / "c", t.data(3));
    fs::remove(t.on_disk(3));
    fs::create_symlink(t.outside / "c", t.on_disk(3));
    FileStorage storage(t.layout, t.downloads.string());
    auto r = hash_pieces(storage);
    ASSERT_TRUE(r);
    const auto want = reference(t.all, t.layout.piece_length);
    EXPECT_EQ(r->pieces[0], want[0]);
    EXPECT_EQ(r->pieces[1], want[1]);
    EXPECT_FALSE(r->pieces[3].has_value()) << "read through a symlink";
    ASSERT_EQ(r->errors.size(), 1u);
    EXPECT_EQ(r->errors[0].file, FileIndex{3});
    EXPECT_EQ(r->errors[0].error.ec, make_error_code(Errc::symlink_refused));
}

TEST(PieceHasherRecheck, DoesNotReadThroughASymlinkedFolder) {
    TorrentOnDisk t;
    t.write_all();
    write_file(t.outside / "b", t.data(1));
    fs::remove_all(t.downloads / "t" / "sub");
    fs::create_directory_symlink(t.outside, t.downloads / "t" / "sub");
    FileStorage storage(t.layout, t.downloads.string());
    auto r = hash_pieces(storage);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->pieces[0].has_value());
    EXPECT_FALSE(r->pieces[1].has_value()) << "read through a symlinked folder";
    ASSERT_EQ(r->errors.size(), 1u);
    EXPECT_EQ(r->errors[0].file, FileIndex{1});
    EXPECT_EQ(r->errors[0].error.ec, make_error_code(Errc::symlink_refused));
}

TEST(PieceHasherRecheck, RefusesAFifoInsteadOfBlockingOnIt) {
    TorrentOnDisk t;
    t.write_all();
    fs::remove(t.on_disk(1));
    ASSERT_EQ(::mkfifo(t.on_disk(1).c_str(), 0644), 0);
    FileStorage storage(t.layout, t.downloads.string());
    // Blocked opening the FIFO: opening its other end lets the recheck (and the test) finish.
    auto r = recheck_within(storage, std::chrono::seconds(20), [&] {
        const int fd = ::open(t.on_disk(1).c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0) ::close(fd);
    });
    if (!r) FAIL() << "the recheck blocked on a FIFO in the download folder";
    ASSERT_TRUE(*r);
    const HashReport& report = **r;
    EXPECT_TRUE(report.pieces[0].has_value());
    EXPECT_FALSE(report.pieces[1].has_value());
    EXPECT_TRUE(report.pieces[3].has_value());
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_EQ(report.errors[0].file, FileIndex{1});
    EXPECT_EQ(report.errors[0].error.ec, make_error_code(Errc::not_a_regular_file));
}

}  // namespace
}  // namespace bt::storage
