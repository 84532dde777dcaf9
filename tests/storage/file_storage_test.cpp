#include "storage/file_storage.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "layouts.hpp"
#include "temp_folders.hpp"

namespace bt::storage {
namespace {

using test_support::content;
using test_support::count_open_fds;
using test_support::exists_no_follow;
using test_support::make_layout;
using test_support::slurp;
using test_support::Spec;
using test_support::TempDir;
using test_support::TmpfsMount;

namespace fs = std::filesystem;

// The torrent of most tests: nested folders, an empty file, odd sizes and two pad files.
Layout sample_layout() {
    return make_layout({{{"a.txt"}, 5},
                        {{"empty"}, 0},
                        {{"dir", "sub", "b.bin"}, 7},
                        {{".pad", "3"}, 3, true},
                        {{"dir", "c"}, 1},
                        {{"d.dat"}, 13},
                        {{".pad", "2"}, 2, true},
                        {{"z"}, 9}},
                       8, {"tor"});
}

// ---------------------------------------------------------------------------------------------
// Mapping ranges onto files

TEST(FileStorageMap, SplitsRangesAtFileBoundariesAndSkipsEmptyFiles) {
    FileStorage s(sample_layout(), "/nonexistent");
    // files: a.txt [0,5) empty [5,5) b.bin [5,12) pad [12,15) c [15,16) d.dat [16,29) pad [29,31) z [31,40)
    struct Case {
        std::int64_t offset, length;
        std::vector<FileSlice> want;
    };
    const std::vector<Case> cases = {
        {0, 5, {{FileIndex{0}, 0, 5, false}}},
        {3, 5, {{FileIndex{0}, 3, 2, false}, {FileIndex{2}, 0, 3, false}}},  // skips the empty file
        {5, 1, {{FileIndex{2}, 0, 1, false}}},                               // starts where 'empty' sits
        {11,
         6,
         {{FileIndex{2}, 6, 1, false},
          {FileIndex{3}, 0, 3, true},
          {FileIndex{4}, 0, 1, false},
          {FileIndex{5}, 0, 1, false}}},
        {39, 1, {{FileIndex{7}, 8, 1, false}}},
        {40, 0, {}},
        {0, 40, {}},  // checked by count below
    };
    for (const auto& c : cases) {
        auto r = s.map_offset(c.offset, c.length);
        ASSERT_TRUE(r) << c.offset << "+" << c.length;
        if (c.length == 40) {
            EXPECT_EQ(r->size(), 7u);  // every file but the empty one
            continue;
        }
        EXPECT_EQ(*r, c.want) << c.offset << "+" << c.length;
    }
}

TEST(FileStorageMap, AddressesByPieceAndBegin) {
    FileStorage s(sample_layout(), "/nonexistent");
    auto r = s.map(PieceIndex{1}, 4, 4);  // offset 12: the first pad file
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0], (FileSlice{FileIndex{3}, 0, 3, true}));
    EXPECT_EQ((*r)[1], (FileSlice{FileIndex{4}, 0, 1, false}));
}

TEST(FileStorageMap, RefusesRangesOutsideTheTorrent) {
    FileStorage s(sample_layout(), "/nonexistent");
    for (auto [off, len] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{40, 1}, {39, 2}, {-1, 1}, {0, -1}}) {
        auto r = s.map_offset(off, len);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().ec, Errc::out_of_range);
    }
    auto r = s.map(PieceIndex{0xffffffffu}, 0xffffffffu, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, Errc::out_of_range);
}

TEST(FileStorageMap, RefusesInconsistentLayouts) {
    Layout gap = sample_layout();
    gap.files[2].offset += 1;
    auto r = FileStorage(gap, "/tmp").map_offset(0, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, Errc::invalid_layout);

    Layout short_total = sample_layout();
    short_total.total_size -= 1;
    EXPECT_EQ(FileStorage(short_total, "/tmp").map_offset(0, 1).error().ec, Errc::invalid_layout);

    Layout no_piece = sample_layout();
    no_piece.piece_length = 0;
    EXPECT_EQ(FileStorage(no_piece, "/tmp").map_offset(0, 1).error().ec, Errc::invalid_layout);
}

TEST(FileStorage, RefusesUnsafePathComponentsWithoutTouchingDisk) {
    TempDir dl;
    const std::vector<std::vector<std::string>> bad = {{".."}, {"x", ".."}, {"."}, {""}, {"a/b"}, {}};
    for (const auto& path : bad) {
        FileStorage s(make_layout({{path, 4}}, 4, {"tor"}), dl.path());
        const std::vector<std::uint8_t> data(4, 1);
        auto r = s.write_at(0, data);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().ec, Errc::invalid_path);
    }
    FileStorage bad_root(make_layout({{{"f"}, 4}}, 4, {".."}), dl.path());
    EXPECT_EQ(bad_root.write_at(0, std::vector<std::uint8_t>(4)).error().ec, Errc::invalid_path);
    EXPECT_TRUE(fs::is_empty(dl.path()));
}

// The metainfo parser renames such torrents; a layout built any other way is refused all the same.
TEST(FileStorage, RefusesToWriteIntoTheResumeFolder) {
    TempDir dl;
    const std::vector<std::uint8_t> data(4, 1);
    FileStorage root(make_layout({{{"x.resume"}, 4}}, 4, {".bitveil"}), dl.path());
    EXPECT_EQ(root.write_at(0, data).error().ec, Errc::invalid_path);
    FileStorage upper(make_layout({{{"x.resume"}, 4}}, 4, {".BITVEIL"}), dl.path());
    EXPECT_EQ(upper.write_at(0, data).error().ec, Errc::invalid_path);
    FileStorage single(make_layout({{{".bitveil"}, 4}}, 4, {}), dl.path());
    EXPECT_EQ(single.write_at(0, data).error().ec, Errc::invalid_path);
    EXPECT_TRUE(fs::is_empty(dl.path()));

    // Inside the torrent's own folder the name is harmless.
    FileStorage inside(make_layout({{{".bitveil", "x.resume"}, 4}}, 4, {"tor"}), dl.path());
    EXPECT_TRUE(inside.write_at(0, data));
    EXPECT_TRUE(fs::is_regular_file(dl / "tor/.bitveil/x.resume"));
}

TEST(FileStorageLayout, SingleFileLivesAtNameMultiFileUnderName) {
    metainfo::Metainfo mi;
    mi.name = "movie.mkv";
    mi.piece_length = 16;
    mi.total_size = 10;
    mi.files.push_back({{"movie.mkv"}, 10, 0});
    Layout single = Layout::from(mi);
    EXPECT_TRUE(single.root.empty());
    EXPECT_EQ(FileStorage(single, "/dl").file_path(FileIndex{0}), "/dl/movie.mkv");

    mi.name = "album";
    mi.multi_file = true;
    mi.files = {{{"cd1", "t1.flac"}, 4, 0}, {{"t2.flac"}, 6, 4}};
    Layout multi = Layout::from(mi);
    EXPECT_EQ(multi.root, std::vector<std::string>{"album"});
    EXPECT_EQ(FileStorage(multi, "/dl/").file_path(FileIndex{0}), "/dl/album/cd1/t1.flac");
}

// ---------------------------------------------------------------------------------------------
// Reading and writing real files

TEST(FileStorage, WritesCrossingFileBoundariesReadBackEqual) {
    TempDir dl;
    const Layout layout = sample_layout();
    const auto data = content(layout);
    FileStorage s(layout, dl.path());

    // Write in 3-byte blocks so that many writes straddle file boundaries.
    for (std::size_t off = 0; off < data.size(); off += 3) {
        const std::size_t n = std::min<std::size_t>(3, data.size() - off);
        auto r = s.write_at(static_cast<std::int64_t>(off), std::span(data).subspan(off, n));
        ASSERT_TRUE(r) << r.error().message();
    }
    // Read back piece by piece (8-byte pieces, the last one shorter).
    std::vector<std::uint8_t> back(data.size(), 0xee);
    for (std::uint32_t p = 0; p * 8u < data.size(); ++p) {
        const std::size_t n = std::min<std::size_t>(8, data.size() - p * 8u);
        auto r = s.read(PieceIndex{p}, 0, std::span(back).subspan(p * 8u, n));
        ASSERT_TRUE(r) << r.error().message();
    }
    EXPECT_EQ(back, data);

    // Each file holds exactly its slice.
    for (std::uint32_t i = 0; i < layout.files.size(); ++i) {
        const auto& f = layout.files[i];
        if (f.pad || f.length == 0) continue;
        const std::string want(data.begin() + f.offset, data.begin() + f.offset + f.length);
        EXPECT_EQ(slurp(s.file_path(FileIndex{i})), want) << s.file_path(FileIndex{i});
    }
    EXPECT_EQ(s.file_path(FileIndex{2}), dl / "tor/dir/sub/b.bin");
    EXPECT_TRUE(fs::is_regular_file(dl / "tor/dir/sub/b.bin"));
    EXPECT_TRUE(s.flush()) << "flush";
}

TEST(FileStorage, EmptyFilesAppearOnlyWithCreateEmptyFiles) {
    TempDir dl;
    const Layout layout = make_layout({{{"a"}, 4}, {{"x", "y", "empty"}, 0}, {{"b"}, 4}}, 4, {"tor"});
    FileStorage s(layout, dl.path());
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>(8, 9)));
    EXPECT_FALSE(exists_no_follow(dl / "tor/x/y/empty"));
    auto r = s.create_empty_files();
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(fs::is_regular_file(dl / "tor/x/y/empty"));
    EXPECT_EQ(fs::file_size(dl / "tor/x/y/empty"), 0u);
    EXPECT_TRUE(s.create_empty_files());  // idempotent
}

TEST(FileStorage, ExecutableFilesAreCreatedWithTheExecutableBits) {
    TempDir dl;
    Layout layout = make_layout({{{"run.sh"}, 4}, {{"data"}, 4}, {{"empty-tool"}, 0}}, 4, {"tor"});
    layout.files[0].executable = true;
    layout.files[2].executable = true;
    FileStorage s(layout, dl.path());
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>(8, 1)));
    ASSERT_TRUE(s.create_empty_files());
    const auto mode = [&](const char* name) {
        struct stat st {};
        EXPECT_EQ(::stat((dl / ("tor/" + std::string(name))).c_str(), &st), 0) << name;
        return st.st_mode & 0111;
    };
    const mode_t mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(mode("run.sh"), 0111 & ~mask);
    EXPECT_EQ(mode("empty-tool"), 0111 & ~mask);
    EXPECT_EQ(mode("data"), 0u);
}

// A BEP 47 link: no data, a target below the torrent's folder.
metainfo::FileEntry link_entry(std::vector<std::string> path, std::vector<std::string> target) {
    metainfo::FileEntry f;
    f.path = std::move(path);
    f.symlink = true;
    f.symlink_target = std::move(target);
    return f;
}

Layout layout_with_links() {
    Layout layout = make_layout({{{"dir", "f.txt"}, 4}, {{"dir", "sub", "g"}, 4}}, 4, {"tor"});
    for (auto f :
         {link_entry({"to_file"}, {"dir", "f.txt"}), link_entry({"deep", "er", "to_dir"}, {"dir", "sub"}),
          link_entry({"dir", "sub", "up"}, {"dir", "f.txt"}), link_entry({"skipped"}, {})}) {
        f.offset = layout.total_size;
        layout.files.push_back(std::move(f));
    }
    return layout;
}

TEST(FileStorage, LinksAreMadeRelativeToTheirFolderAndOnlyByCreateSymlinks) {
    TempDir dl;
    FileStorage s(layout_with_links(), dl.path());
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>(8, 7)));
    ASSERT_TRUE(s.create_empty_files());
    EXPECT_FALSE(exists_no_follow(dl / "tor/to_file")) << "a link is not an empty file";
    EXPECT_TRUE(s.create_symlinks().empty());
    EXPECT_EQ(fs::read_symlink(dl / "tor/to_file"), "dir/f.txt");
    EXPECT_EQ(fs::read_symlink(dl / "tor/deep/er/to_dir"), "../../dir/sub");
    EXPECT_EQ(fs::read_symlink(dl / "tor/dir/sub/up"), "../f.txt");
    EXPECT_FALSE(exists_no_follow(dl / "tor/skipped")) << "a link whose target is not in the torrent";
    EXPECT_EQ(slurp(dl / "tor/to_file"), std::string(4, '\x07'));
    EXPECT_TRUE(fs::is_regular_file(dl / "tor/deep/er/to_dir/g"));
    EXPECT_TRUE(s.create_symlinks().empty()) << "made before, with the same text";
    const auto status = s.file_status();
    EXPECT_FALSE(status[2].exists || status[2].error) << "links are not data files";
}

TEST(FileStorage, SomethingElseWhereALinkGoesIsLeftAndReported) {
    TempDir dl;
    fs::create_directories(dl / "tor");
    std::ofstream(dl / "tor/to_file") << "mine";
    fs::create_symlink("/etc/passwd", dl / "tor/deep");  // a planted link where a folder must be
    FileStorage s(layout_with_links(), dl.path());
    const auto problems = s.create_symlinks();
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].file, dl / "tor/to_file");
    EXPECT_EQ(problems[0].ec, std::errc::file_exists);
    EXPECT_EQ(problems[0].op, Op::symlink);
    EXPECT_EQ(problems[1].ec, Errc::symlink_refused);
    EXPECT_EQ(slurp(dl / "tor/to_file"), "mine");
    EXPECT_EQ(fs::read_symlink(dl / "tor/deep"), "/etc/passwd");
}

TEST(FileStorage, RefusesLinksThatHoldDataOrHaveNoTorrentFolder) {
    Layout holds = layout_with_links();
    holds.files[2].length = 1;
    holds.total_size += 1;
    for (std::size_t k = 3; k < holds.files.size(); ++k) holds.files[k].offset += 1;
    EXPECT_EQ(FileStorage(holds, "/nonexistent").create_symlinks().at(0).ec, Errc::invalid_layout);
    Layout single = make_layout({{{"only"}, 4}}, 4, {});
    auto f = link_entry({"l"}, {"only"});
    f.offset = 4;
    single.files.push_back(f);
    EXPECT_EQ(FileStorage(single, "/nonexistent").create_symlinks().at(0).ec, Errc::invalid_layout);
    Layout unsafe = layout_with_links();
    unsafe.files[2].symlink_target = {"..", "etc"};
    EXPECT_EQ(FileStorage(unsafe, "/nonexistent").create_symlinks().at(0).ec, Errc::invalid_path);
}

TEST(FileStorage, FilesAreSparseAndHolesReadAsZeros) {
    TempDir dl;
    constexpr std::int64_t kSize = 64 << 20;
    FileStorage s(make_layout({{{"big.iso"}, kSize}}, 1 << 20, {}), dl.path());
    const std::vector<std::uint8_t> block(16384, 0xab);
    ASSERT_TRUE(s.write_at(kSize - 16384, block));

    struct stat st {};
    ASSERT_EQ(::stat((dl / "big.iso").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, kSize);
    EXPECT_LT(st.st_blocks * 512, 1 << 20) << "the file was filled instead of left sparse";

    std::vector<std::uint8_t> head(4096, 0xff);
    ASSERT_TRUE(s.read_at(0, head));
    EXPECT_EQ(head, std::vector<std::uint8_t>(4096, 0));
}

TEST(FileStorage, PadRangesReadAsZerosAndCreateNoFile) {
    TempDir dl;
    const Layout layout = sample_layout();
    FileStorage s(layout, dl.path());
    // Garbage into the pad range [12,15) and both neighbours: the pad part is dropped.
    const std::vector<std::uint8_t> junk(5, 0x5a);
    ASSERT_TRUE(s.write_at(11, junk));
    std::vector<std::uint8_t> back(5, 0xff);
    ASSERT_TRUE(s.read_at(11, back));
    EXPECT_EQ(back, (std::vector<std::uint8_t>{0x5a, 0, 0, 0, 0x5a}));
    // A read that is all pad needs no file at all.
    std::vector<std::uint8_t> pad(2, 0xff);
    ASSERT_TRUE(s.read_at(29, pad));
    EXPECT_EQ(pad, std::vector<std::uint8_t>(2, 0));
    EXPECT_FALSE(exists_no_follow(dl / "tor/.pad"));
}

TEST(FileStorage, ReadingAMissingFileFailsWithEnoent) {
    TempDir dl;
    FileStorage s(sample_layout(), dl.path());
    std::vector<std::uint8_t> out(5);
    auto r = s.read_at(0, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, std::errc::no_such_file_or_directory);
    EXPECT_FALSE(exists_no_follow(dl / "tor")) << "reads must not create folders";
}

TEST(FileStorage, ReadingPastTheEndOfAShortFileIsAnError) {
    TempDir dl;
    FileStorage s(sample_layout(), dl.path());
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>{1, 2}));
    std::vector<std::uint8_t> out(5);
    auto r = s.read_at(0, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, Errc::unexpected_eof);
    EXPECT_EQ(r.error().op, Op::read);
    EXPECT_EQ(r.error().file, dl / "tor/a.txt");
    EXPECT_EQ(r.error().message(), "read " + (dl / "tor/a.txt") + ": unexpected end of file");
}

TEST(FileStorage, ReadThenWriteUpgradesTheCachedDescriptor) {
    TempDir dl;
    FileStorage s(make_layout({{{"f"}, 4}}, 4, {"t"}), dl.path());
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>{1, 2, 3, 4}));
    s.close_all();
    std::vector<std::uint8_t> out(4);
    ASSERT_TRUE(s.read_at(0, out));  // caches a read-only descriptor
    ASSERT_TRUE(s.write_at(1, std::vector<std::uint8_t>{9}));
    ASSERT_TRUE(s.read_at(0, out));
    EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 9, 3, 4}));
    EXPECT_EQ(s.open_file_count(), 1u);
}

TEST(FileStorage, FileStatusReportsSizeAndMtimeOfFilesOnDisk) {
    TempDir dl;
    const Layout layout = sample_layout();
    FileStorage s(layout, dl.path());
    for (const auto& st : s.file_status()) EXPECT_FALSE(st.exists);
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>(14, 3)));  // a.txt, b.bin and the pad
    const auto status = s.file_status();
    ASSERT_EQ(status.size(), layout.files.size());
    EXPECT_TRUE(status[0].exists);
    EXPECT_EQ(status[0].size, 5);
    EXPECT_GT(status[0].mtime_ns, 0);
    EXPECT_FALSE(status[1].exists);  // empty file not created yet
    EXPECT_TRUE(status[2].exists);
    EXPECT_EQ(status[2].size, 7);
    EXPECT_FALSE(status[3].exists);  // pad
    EXPECT_FALSE(status[5].exists);
    for (const auto& st : status) EXPECT_FALSE(st.error) << st.error.message();

    struct stat raw {};
    ASSERT_EQ(::stat((dl / "tor/a.txt").c_str(), &raw), 0);
    EXPECT_EQ(status[0].mtime_ns, raw.st_mtim.tv_sec * 1'000'000'000LL + raw.st_mtim.tv_nsec);
}

// ---------------------------------------------------------------------------------------------
// Safety: nothing escapes the download folder

class FileStorageSymlink : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(dl.path().empty());
        ASSERT_FALSE(outside.path().empty());
    }
    void expect_refused(FileStorage& s, const std::string& link_path) {
        auto w = s.write_at(0, std::vector<std::uint8_t>(13, 0x41));
        ASSERT_FALSE(w);
        EXPECT_EQ(w.error().ec, Errc::symlink_refused) << w.error().message();
        EXPECT_EQ(w.error().file, link_path);
        std::vector<std::uint8_t> out(4);
        auto r = s.read_at(0, out);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().ec, Errc::symlink_refused);
        for (const auto& st : s.file_status()) {
            if (!st.exists && st.error) {
                EXPECT_EQ(st.error, Errc::symlink_refused);
            }
        }
    }
    TempDir dl;
    TempDir outside;
};

TEST_F(FileStorageSymlink, TorrentRootLinkIsRefused) {
    ASSERT_EQ(::symlink(outside.path().c_str(), (dl / "tor").c_str()), 0);
    FileStorage s(make_layout({{{"f"}, 13}}, 16, {"tor"}), dl.path());
    expect_refused(s, dl / "tor");
    EXPECT_TRUE(fs::is_empty(outside.path()));
}

TEST_F(FileStorageSymlink, IntermediateFolderLinkIsRefused) {
    ASSERT_EQ(::mkdir((dl / "tor").c_str(), 0755), 0);
    ASSERT_EQ(::symlink(outside.path().c_str(), (dl / "tor/sub").c_str()), 0);
    FileStorage s(make_layout({{{"sub", "deeper", "f"}, 13}}, 16, {"tor"}), dl.path());
    expect_refused(s, dl / "tor/sub");
    EXPECT_TRUE(fs::is_empty(outside.path()));
}

TEST_F(FileStorageSymlink, FinalFileLinkIsRefusedAndTargetUntouched) {
    { std::ofstream(outside / "victim") << "precious"; }
    ASSERT_EQ(::mkdir((dl / "tor").c_str(), 0755), 0);
    ASSERT_EQ(::symlink((outside / "victim").c_str(), (dl / "tor/f").c_str()), 0);
    FileStorage s(make_layout({{{"f"}, 13}}, 16, {"tor"}), dl.path());
    expect_refused(s, dl / "tor/f");
    EXPECT_EQ(slurp(outside / "victim"), "precious");
}

TEST_F(FileStorageSymlink, DanglingLinkIsRefusedAndCreatesNothing) {
    ASSERT_EQ(::symlink((outside / "new").c_str(), (dl / "single.bin").c_str()), 0);
    FileStorage s(make_layout({{{"single.bin"}, 13}}, 16, {}), dl.path());
    expect_refused(s, dl / "single.bin");
    EXPECT_FALSE(exists_no_follow(outside / "new"));
}

TEST_F(FileStorageSymlink, DownloadFolderItselfMayBeALink) {
    ASSERT_EQ(::symlink(outside.path().c_str(), (dl / "downloads").c_str()), 0);
    FileStorage s(make_layout({{{"f"}, 4}}, 4, {"tor"}), dl / "downloads");
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>{1, 2, 3, 4}));
    EXPECT_EQ(slurp(outside / "tor/f"), std::string("\1\2\3\4"));
}

TEST(FileStorage, FifoOrFolderWhereAFileShouldBeIsRefused) {
    TempDir dl;
    ASSERT_EQ(::mkdir((dl / "t").c_str(), 0755), 0);
    ASSERT_EQ(::mkfifo((dl / "t/fifo").c_str(), 0644), 0);
    ASSERT_EQ(::mkdir((dl / "t/dir").c_str(), 0755), 0);
    FileStorage s(make_layout({{{"fifo"}, 4}, {{"dir"}, 4}}, 4, {"t"}), dl.path());
    std::vector<std::uint8_t> out(4);
    auto r = s.read_at(0, out);  // must not block on the FIFO
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, Errc::not_a_regular_file);
    r = s.read_at(4, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, Errc::not_a_regular_file);
    auto w = s.write_at(4, out);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().ec, std::errc::is_a_directory);
}

// ---------------------------------------------------------------------------------------------
// Descriptor cache and errors

TEST(FileStorage, DescriptorCacheStaysBoundedWithManyFiles) {
    TempDir dl;
    std::vector<Spec> specs;
    for (int i = 0; i < 200; ++i)
        specs.push_back({{"d" + std::to_string(i % 10), "f" + std::to_string(i)}, 3 + i % 5});
    const Layout layout = make_layout(specs, 64, {"many"});
    const auto data = content(layout);
    const std::size_t before = count_open_fds();
    {
        FileStorage s(layout, dl.path(),
                      Settings{.max_open_files = 8, .direct_writes = false, .part_file = {}});
        // Write in 50-byte chunks, then read everything back in 17-byte chunks.
        for (std::size_t off = 0; off < data.size(); off += 50) {
            const std::size_t n = std::min<std::size_t>(50, data.size() - off);
            ASSERT_TRUE(s.write_at(static_cast<std::int64_t>(off), std::span(data).subspan(off, n)));
            ASSERT_LE(count_open_fds(), before + 8);
        }
        EXPECT_EQ(s.open_file_count(), 8u);
        std::vector<std::uint8_t> back(data.size());
        for (std::size_t off = 0; off < data.size(); off += 17) {
            const std::size_t n = std::min<std::size_t>(17, data.size() - off);
            ASSERT_TRUE(s.read_at(static_cast<std::int64_t>(off), std::span(back).subspan(off, n)));
        }
        EXPECT_EQ(back, data);
        EXPECT_LE(count_open_fds(), before + 8);
        auto f = s.flush();  // reopens evicted files to sync them
        EXPECT_TRUE(f) << f.error().message();
        EXPECT_LE(count_open_fds(), before + 8);
        s.close_all();
        EXPECT_EQ(s.open_file_count(), 0u);
        EXPECT_EQ(count_open_fds(), before);
    }
    EXPECT_EQ(count_open_fds(), before);
    EXPECT_EQ(slurp(dl / "many/d7/f197"), std::string(data.begin() + layout.files[197].offset,
                                                      data.begin() + layout.files[197].offset + 5));
}

TEST(FileStorage, ConcurrentWritersProduceCorrectFiles) {
    TempDir dl;
    std::vector<Spec> specs;
    for (int i = 0; i < 40; ++i) specs.push_back({{"f" + std::to_string(i)}, 1000 + i});
    const Layout layout = make_layout(specs, 512, {"c"});
    const auto data = content(layout);
    FileStorage s(layout, dl.path(), Settings{.max_open_files = 4, .direct_writes = false, .part_file = {}});
    const std::size_t pieces = (data.size() + 511) / 512;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t p = static_cast<std::size_t>(t); p < pieces; p += 4) {
                const std::size_t n = std::min<std::size_t>(512, data.size() - p * 512);
                if (!s.write(PieceIndex{static_cast<std::uint32_t>(p)}, 0,
                             std::span(data).subspan(p * 512, n))) {
                    ++failures;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    std::vector<std::uint8_t> back(data.size());
    ASSERT_TRUE(s.read_at(0, back));
    EXPECT_EQ(back, data);
}

TEST(FileStorage, RegularFileWhereAFolderMustBeFailsWithNotADirectory) {
    TempDir dl;
    ASSERT_EQ(::mkdir((dl / "tor").c_str(), 0755), 0);
    { std::ofstream(dl / "tor/sub") << "x"; }
    FileStorage s(make_layout({{{"sub", "f"}, 4}}, 4, {"tor"}), dl.path());
    auto w = s.write_at(0, std::vector<std::uint8_t>(4, 1));
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().ec, std::errc::not_a_directory);
    EXPECT_EQ(w.error().op, Op::mkdir);
    EXPECT_EQ(w.error().file, dl / "tor/sub");
    EXPECT_EQ(w.error().message(), "mkdir " + (dl / "tor/sub") + ": Not a directory");
    EXPECT_EQ(slurp(dl / "tor/sub"), "x");

    std::vector<std::uint8_t> out(4);
    auto r = s.read_at(0, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, std::errc::not_a_directory);
    EXPECT_EQ(r.error().op, Op::open);
}

TEST(FileStorage, MissingDownloadFolderIsReportedByName) {
    TempDir dl;
    FileStorage s(make_layout({{{"f"}, 4}}, 4, {"tor"}), dl / "nope");
    auto w = s.write_at(0, std::vector<std::uint8_t>(4, 1));
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().ec, std::errc::no_such_file_or_directory);
    EXPECT_EQ(w.error().file, dl / "nope");
}

TEST(FileStorage, NoSpaceLeftSurfacesUnchangedWithTheFileName) {
    TempDir dl;
    TmpfsMount mnt{dl.path()};
    if (const auto why = mnt.mount_small(); !why.empty()) GTEST_SKIP() << why;
    FileStorage s(make_layout({{{"small"}, 1000}, {{"huge.bin"}, 1 << 20}}, 1 << 16, {"tor"}), dl.path());
    const std::vector<std::uint8_t> chunk(1 << 16, 0x77);
    Result<void, StorageError> r;
    for (std::int64_t off = 0; off < (1 << 20) && r; off += 1 << 16) r = s.write_at(off, chunk);
    ASSERT_FALSE(r) << "a 64 KiB tmpfs accepted 1 MiB";
    EXPECT_EQ(r.error().ec, std::errc::no_space_on_device);
    EXPECT_EQ(r.error().op, Op::write);
    EXPECT_EQ(r.error().file, dl / "tor/huge.bin");
    EXPECT_EQ(r.error().message(), "write " + (dl / "tor/huge.bin") + ": No space left on device");
}

TEST(StorageError, MessageWithoutFile) {
    const StorageError e{make_error_code(Errc::out_of_range), {}, Op::read};
    EXPECT_EQ(e.message(), "read: range outside the torrent");
    EXPECT_STREQ(error_category().name(), "bt.storage");
}

}  // namespace
}  // namespace bt::storage
