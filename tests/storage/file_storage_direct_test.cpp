// Direct (O_DIRECT) writes of FileStorage: what goes direct, what is copied first, and that the bytes
// read back equal. Split from file_storage_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "layouts.hpp"
#include "storage/file_storage.hpp"
#include "storage/piece_buffer.hpp"
#include "temp_folders.hpp"

namespace bt::storage {
namespace {

using test_support::content;
using test_support::count_open_fds;
using test_support::make_layout;
using test_support::slurp;
using test_support::TempDir;
using test_support::TmpfsMount;

namespace fs = std::filesystem;

constexpr std::size_t kBlock = kDirectIoAlignment;

struct FreeBytes {
    void operator()(std::uint8_t* p) const noexcept { std::free(p); }
};

// Memory starting at a kBlock-aligned address, with one spare block so that data can be placed at
// any shift from an aligned address.
class AlignedMemory {
  public:
    explicit AlignedMemory(std::size_t n)
        : size_((n + 2 * kBlock - 1) / kBlock * kBlock),
          data_(static_cast<std::uint8_t*>(std::aligned_alloc(kBlock, size_))) {}
    std::uint8_t* data() { return data_.get(); }
    // A copy of `bytes` that starts `shift` bytes past an aligned address.
    std::span<const std::uint8_t> place(std::span<const std::uint8_t> bytes, std::size_t shift) {
        if (!data_ || shift + bytes.size() > size_) return {};
        std::memcpy(data_.get() + shift, bytes.data(), bytes.size());
        return {data_.get() + shift, bytes.size()};
    }

  private:
    std::size_t size_;
    std::unique_ptr<std::uint8_t, FreeBytes> data_;
};

bool is_block_aligned(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % kBlock == 0;
}

// Bytes without a short period (content() repeats every 256 bytes), so that a block landing at the
// wrong offset, or a stale block, shows.
std::vector<std::uint8_t> pattern(std::size_t n, std::uint64_t seed) {
    std::vector<std::uint8_t> out(n);
    std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
    for (auto& b : out) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b = static_cast<std::uint8_t>(x >> 32);
    }
    return out;
}

std::string as_string(std::span<const std::uint8_t> bytes) {
    return {bytes.begin(), bytes.end()};
}

// Why direct writes cannot work under /tmp (where TempDir creates folders), or empty if they can.
// Probed once, the way FileStorage does it: reopen through /proc/self/fd with O_DIRECT, then write one
// aligned block through that descriptor.
const std::string& direct_io_refusal() {
    static const std::string why = [] {
        TempDir dir;
        if (dir.path().empty()) return std::string("cannot create a temporary folder");
        const std::string path = dir / "probe";
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return "cannot create " + path + ": " + std::strerror(errno);
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        std::string reason;
        const int direct = ::open(self.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
        if (direct < 0) {
            reason = "the file system under /tmp refuses O_DIRECT (open " + self + ": " +
                     std::strerror(errno) + ")";
        } else {
            AlignedMemory block(kBlock);
            std::memset(block.data(), 0x11, kBlock);
            if (::pwrite(direct, block.data(), kBlock, 0) != static_cast<ssize_t>(kBlock)) {
                reason = "the file system under /tmp refuses an aligned O_DIRECT write (" +
                         std::string(std::strerror(errno)) + ")";
            }
            ::close(direct);
        }
        ::close(fd);
        return reason;
    }();
    return why;
}

class FileStorageDirect : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(dl.path().empty());
        if (const std::string& why = direct_io_refusal(); !why.empty()) GTEST_SKIP() << why;
    }
    static Settings direct() {
        Settings s;
        s.direct_writes = true;
        return s;
    }
    TempDir dl;
};

TEST(FileStorageDirectSettings, DirectWritesAreOffByDefaultAndThenNothingGoesDirect) {
    EXPECT_FALSE(Settings{}.direct_writes);
    TempDir dl;
    constexpr std::int64_t kPiece = 64 * 1024;
    FileStorage s(make_layout({{{"f.bin"}, 4 * kPiece}}, kPiece, {}), dl.path());
    const auto data = pattern(4 * kPiece, 1);
    AlignedMemory mem(data.size());
    ASSERT_TRUE(s.write_at(0, mem.place(data, 0)));
    EXPECT_EQ(s.direct_bytes_written(), 0u);
    EXPECT_EQ(slurp(dl / "f.bin"), as_string(data));
}

TEST_F(FileStorageDirect, SingleFileWrittenPieceByPieceFromPoolBuffersReadsBackEqual) {
    constexpr std::int64_t kPiece = 64 * 1024;
    constexpr std::int64_t kLast = 5000;  // not a multiple of the block size
    constexpr std::int64_t kTotal = 5 * kPiece + kLast;
    const Layout layout = make_layout({{{"movie.mkv"}, kTotal}}, kPiece, {});
    const auto data = pattern(kTotal, 2);
    FileStorage s(layout, dl.path(), direct());
    PieceBufferPool pool(kPiece, 2 * kPiece);
    for (std::uint32_t p = 0; p < 6; ++p) {
        const std::size_t n = p < 5 ? kPiece : kLast;
        PieceBuffer buf = pool.take(n);
        ASSERT_TRUE(is_block_aligned(buf.bytes().data()));
        std::memcpy(buf.bytes().data(), data.data() + p * kPiece, n);
        auto r = s.write(PieceIndex{p}, 0, buf.bytes());
        ASSERT_TRUE(r) << r.error().message();
    }
    // Every full piece goes direct; of the last piece, its whole first block.
    EXPECT_EQ(s.direct_bytes_written(), static_cast<std::uint64_t>(5 * kPiece + kBlock));

    std::vector<std::uint8_t> back(kTotal, 0xee);
    for (std::uint32_t p = 0; p < 6; ++p) {
        const std::size_t n = p < 5 ? kPiece : kLast;
        auto r = s.read(PieceIndex{p}, 0, std::span(back).subspan(p * kPiece, n));
        ASSERT_TRUE(r) << r.error().message();
    }
    EXPECT_TRUE(back == data);
    EXPECT_EQ(fs::file_size(dl / "movie.mkv"), static_cast<std::uintmax_t>(kTotal));
    EXPECT_TRUE(slurp(dl / "movie.mkv") == as_string(data));
    EXPECT_TRUE(s.flush());
}

// Files starting at odd torrent offsets: the source memory of a file's aligned blocks is not aligned,
// so they go through the bounce buffer; "b" needs more than one 256 KiB bounce buffer.
Layout odd_offsets_layout() {
    return make_layout({{{"a"}, 1001},
                        {{"dir", "b"}, 300123},
                        {{".pad", "0"}, 16384 - (1001 + 300123) % 16384, true},
                        {{"c"}, 3 * 4096 + 7},
                        {{"d"}, 5000},
                        {{"e"}, 3}},
                       16384, {"tor"});
}

void expect_files_hold(const FileStorage& s, const Layout& layout, const std::vector<std::uint8_t>& data) {
    for (std::uint32_t i = 0; i < layout.files.size(); ++i) {
        const auto& f = layout.files[i];
        if (f.pad) continue;
        const auto slice = std::span(data).subspan(f.offset, f.length);
        EXPECT_TRUE(slurp(s.file_path(FileIndex{i})) == as_string(slice)) << s.file_path(FileIndex{i});
    }
}

std::vector<std::uint8_t> with_zero_pads(std::vector<std::uint8_t> data, const Layout& layout) {
    for (const auto& f : layout.files) {
        if (f.pad) std::fill_n(data.begin() + f.offset, f.length, 0);
    }
    return data;
}

TEST_F(FileStorageDirect, FilesAtOddTorrentOffsetsWrittenInOneCallReadBackEqual) {
    const Layout layout = odd_offsets_layout();
    const auto data = with_zero_pads(pattern(layout.total_size, 3), layout);
    FileStorage s(layout, dl.path(), direct());
    AlignedMemory mem(data.size());
    auto r = s.write_at(0, mem.place(data, 0));
    ASSERT_TRUE(r) << r.error().message();
    // The whole blocks of each file: b 73, c 3, d 1 (a and e are shorter than a block).
    EXPECT_EQ(s.direct_bytes_written(), (73u + 3u + 1u) * kBlock);

    std::vector<std::uint8_t> back(data.size(), 0xee);
    ASSERT_TRUE(s.read_at(0, back));
    EXPECT_TRUE(back == data);
    expect_files_hold(s, layout, data);
}

TEST_F(FileStorageDirect, FilesAtOddTorrentOffsetsWrittenPieceByPieceReadBackEqual) {
    const Layout layout = odd_offsets_layout();
    const auto data = with_zero_pads(pattern(layout.total_size, 4), layout);
    FileStorage s(layout, dl.path(), direct());
    PieceBufferPool pool(16384, 16384);
    const auto pieces = static_cast<std::uint32_t>((layout.total_size + 16383) / 16384);
    // Backwards, so that files grow from their end first and are sparse in between.
    for (std::uint32_t p = pieces; p-- > 0;) {
        const auto n = static_cast<std::size_t>(std::min<std::int64_t>(16384, layout.total_size - p * 16384));
        PieceBuffer buf = pool.take(n);
        std::memcpy(buf.bytes().data(), data.data() + p * 16384, n);
        auto r = s.write(PieceIndex{p}, 0, buf.bytes());
        ASSERT_TRUE(r) << "piece " << p << ": " << r.error().message();
    }
    EXPECT_GT(s.direct_bytes_written(), 0u);
    EXPECT_LE(s.direct_bytes_written(), static_cast<std::uint64_t>(layout.total_size));

    std::vector<std::uint8_t> back(data.size(), 0xee);
    ASSERT_TRUE(s.read_at(0, back));
    EXPECT_TRUE(back == data);
    expect_files_hold(s, layout, data);
}

// Pieces in buffers shifted as direct_write_shift says: each piece's biggest file slice is aligned in
// memory like its file offset, so nothing is copied to the bounce buffer; unshifted, b and c would be.
TEST_F(FileStorageDirect, PiecesInShiftedBuffersGoDirectWithoutACopy) {
    constexpr std::int64_t kPiece = 64 * 1024;
    const Layout layout = make_layout({{{"a"}, 1001}, {{"b"}, 5 * kPiece}, {{"c"}, 70000}}, kPiece, {"tor"});
    const auto data = pattern(layout.total_size, 11);
    const auto pieces = static_cast<std::uint32_t>((layout.total_size + kPiece - 1) / kPiece);
    PieceBufferPool pool(kPiece, 0);
    const auto write_all = [&](FileStorage& s, bool shifted) {
        for (std::uint32_t p = 0; p < pieces; ++p) {
            const auto n =
                static_cast<std::uint32_t>(std::min<std::int64_t>(kPiece, layout.total_size - p * kPiece));
            PieceBuffer buf = pool.take(n, shifted ? s.direct_write_shift(PieceIndex{p}, n) : 0);
            std::memcpy(buf.bytes().data(), data.data() + p * kPiece, n);
            auto r = s.write(PieceIndex{p}, 0, buf.bytes());
            ASSERT_TRUE(r) << "piece " << p << ": " << r.error().message();
        }
    };
    FileStorage s(layout, dl.path(), direct());
    // b starts at torrent offset 1001: its bytes sit 1001 bytes before an aligned file offset.
    EXPECT_EQ(s.direct_write_shift(PieceIndex{0}, kPiece), 4096u - 1001u);
    EXPECT_EQ(s.direct_write_shift(PieceIndex{1}, kPiece), 4096u - 1001u);
    write_all(s, true);
    EXPECT_GT(s.direct_bytes_written(), static_cast<std::uint64_t>(5 * kPiece));
    EXPECT_EQ(s.direct_bytes_copied(), 0u);
    expect_files_hold(s, layout, data);

    TempDir other;
    FileStorage unshifted(layout, other.path(), direct());
    write_all(unshifted, false);
    EXPECT_EQ(unshifted.direct_bytes_written(), s.direct_bytes_written());
    EXPECT_EQ(unshifted.direct_bytes_copied(), unshifted.direct_bytes_written());
    expect_files_hold(unshifted, layout, data);
}

TEST(FileStorage, DirectWriteShiftIsZeroForASingleFileAndForAlignedFiles) {
    TempDir dl;
    const Layout single = make_layout({{{"f"}, 1000000}}, 65536, {});
    FileStorage s(single, dl.path());
    for (std::uint32_t p = 0; p < 16; ++p) EXPECT_EQ(s.direct_write_shift(PieceIndex{p}, 65536), 0u) << p;
    const Layout padded =
        make_layout({{{"a"}, 100}, {{".pad", "0"}, 65536 - 100, true}, {{"b"}, 200000}}, 65536, {"t"});
    FileStorage t(padded, dl.path());
    EXPECT_EQ(t.direct_write_shift(PieceIndex{0}, 65536),
              0u);  // the pad is the biggest slice, and not counted
    EXPECT_EQ(t.direct_write_shift(PieceIndex{2}, 65536), 0u);
}

TEST_F(FileStorageDirect, WritesSmallerThanAWholeBlockStayBuffered) {
    const Layout layout = make_layout({{{"f"}, 64 * 1024}}, 16384, {});
    FileStorage s(layout, dl.path(), direct());
    std::vector<std::uint8_t> model(64 * 1024, 0);
    AlignedMemory mem(kBlock + 100);
    struct Case {
        std::int64_t offset;
        std::size_t length;
    };
    // Aligned starts with less than a block, and starts that leave no whole block inside the range.
    const std::vector<Case> cases = {{0, 1},      {8192, 100},   {16384, 4095}, {4000, 4096},
                                     {20000, 10}, {40000, 4191}, {65535, 1}};
    std::uint64_t seed = 10;
    for (const auto& c : cases) {
        const auto bytes = pattern(c.length, ++seed);
        const auto shift = static_cast<std::size_t>(c.offset) % kBlock;
        auto r = s.write_at(c.offset, mem.place(bytes, shift));
        ASSERT_TRUE(r) << c.offset << "+" << c.length << ": " << r.error().message();
        std::copy(bytes.begin(), bytes.end(), model.begin() + c.offset);
        std::vector<std::uint8_t> back(c.length, 0xee);
        ASSERT_TRUE(s.read_at(c.offset, back));
        EXPECT_TRUE(back == bytes) << c.offset << "+" << c.length;
    }
    EXPECT_EQ(s.direct_bytes_written(), 0u);
    EXPECT_TRUE(slurp(dl / "f") == as_string(model));
}

TEST_F(FileStorageDirect, UnalignedWritesSendOnlyTheirWholeBlocksDirect) {
    struct Case {
        std::int64_t offset;
        std::size_t length;
        std::uint64_t direct;  // the whole aligned blocks inside [offset, offset + length)
    };
    const std::vector<Case> cases = {
        {0, 4096, 4096},       {1, 3 * 4096, 2 * 4096},  {4095, 4097, 4096}, {4000, 4192, 4096},
        {12345, 70000, 65536}, {100000, 200000, 196608}, {8191, 8193, 8192}, {5, 4096 + 4091, 4096},
    };
    // Memory shifted like the file offset (written direct from the caller's memory), then shifted one
    // byte further (through the bounce buffer).
    for (std::size_t extra_shift : {std::size_t{0}, std::size_t{1}}) {
        SCOPED_TRACE("memory shift +" + std::to_string(extra_shift));
        TempDir dir;
        FileStorage s(make_layout({{{"f"}, 320 * 1024}}, 64 * 1024, {}), dir.path(), direct());
        std::vector<std::uint8_t> model;
        AlignedMemory mem(200000 + kBlock);
        std::uint64_t seed = 20;
        for (const auto& c : cases) {
            const auto bytes = pattern(c.length, ++seed);
            const std::size_t shift = (static_cast<std::size_t>(c.offset) + extra_shift) % kBlock;
            const auto src = mem.place(bytes, shift);
            ASSERT_EQ(src.size(), bytes.size());
            const std::uint64_t before = s.direct_bytes_written();
            auto r = s.write_at(c.offset, src);
            ASSERT_TRUE(r) << c.offset << "+" << c.length << ": " << r.error().message();
            EXPECT_EQ(s.direct_bytes_written() - before, c.direct) << c.offset << "+" << c.length;

            const auto end = static_cast<std::size_t>(c.offset) + c.length;
            if (model.size() < end) model.resize(end, 0);
            std::copy(bytes.begin(), bytes.end(), model.begin() + c.offset);
            std::vector<std::uint8_t> back(model.size(), 0xee);
            ASSERT_TRUE(s.read_at(0, back));
            EXPECT_TRUE(back == model) << "after " << c.offset << "+" << c.length;
            EXPECT_TRUE(slurp(dir / "f") == as_string(model)) << "after " << c.offset << "+" << c.length;
        }
    }
}

TEST_F(FileStorageDirect, OverwritesReadTheNewestDataWhicheverPathWroteThem) {
    FileStorage s(make_layout({{{"f"}, 64 * 1024}}, 16384, {}), dl.path(), direct());
    struct Step {
        std::int64_t offset;
        std::size_t length;
        std::size_t extra_shift;  // 1: source memory misaligned, through the bounce buffer
        bool direct;              // whether some of it must go direct
    };
    const std::vector<Step> steps = {
        {0, 32768, 0, true},      // direct
        {5000, 100, 0, false},    // buffered into a block written direct
        {4096, 8192, 0, true},    // direct over the buffered (dirty, cached) bytes
        {8000, 500, 0, false},    // buffered across a block boundary over direct data
        {0, 20000, 1, true},      // direct from the bounce buffer over both, buffered tail
        {1, 4095, 0, false},      // buffered over the first block
        {16384, 16384, 1, true},  // direct again over data read into the page cache
    };
    std::vector<std::uint8_t> model(32768, 0);
    AlignedMemory mem(32768 + kBlock);
    std::uint64_t seed = 30;
    for (const auto& st : steps) {
        const auto bytes = pattern(st.length, ++seed);
        const std::uint64_t before = s.direct_bytes_written();
        const std::size_t shift = (static_cast<std::size_t>(st.offset) + st.extra_shift) % kBlock;
        auto r = s.write_at(st.offset, mem.place(bytes, shift));
        ASSERT_TRUE(r) << st.offset << "+" << st.length << ": " << r.error().message();
        EXPECT_EQ(s.direct_bytes_written() > before, st.direct) << st.offset << "+" << st.length;
        std::copy(bytes.begin(), bytes.end(), model.begin() + st.offset);
        std::vector<std::uint8_t> back(model.size(), 0xee);
        ASSERT_TRUE(s.read_at(0, back));  // also fills the page cache before the next step
        EXPECT_TRUE(back == model) << "after " << st.offset << "+" << st.length;
        EXPECT_TRUE(slurp(dl / "f") == as_string(model)) << "after " << st.offset << "+" << st.length;
    }
}

TEST_F(FileStorageDirect, BufferedAndDirectStoragesOfOneFileSeeEachOthersWrites) {
    const Layout layout = make_layout({{{"f"}, 32768}}, 16384, {});
    FileStorage buffered(layout, dl.path());
    FileStorage direct_storage(layout, dl.path(), direct());
    std::vector<std::uint8_t> model(32768, 0);
    AlignedMemory mem(32768);
    auto write_with = [&](FileStorage& s, std::int64_t offset, std::size_t length, std::uint64_t seed) {
        const auto bytes = pattern(length, seed);
        ASSERT_TRUE(s.write_at(offset, mem.place(bytes, static_cast<std::size_t>(offset) % kBlock)));
        std::copy(bytes.begin(), bytes.end(), model.begin() + offset);
    };
    auto expect_both_read_model = [&](const char* after) {
        for (FileStorage* s : {&buffered, &direct_storage}) {
            std::vector<std::uint8_t> back(model.size(), 0xee);
            ASSERT_TRUE(s->read_at(0, back));
            EXPECT_TRUE(back == model) << after << (s == &buffered ? ", buffered reader" : ", direct reader");
        }
        EXPECT_TRUE(slurp(dl / "f") == as_string(model)) << after;
    };
    write_with(buffered, 0, 32768, 40);
    expect_both_read_model("buffered write");
    write_with(direct_storage, 4096, 12288, 41);
    expect_both_read_model("direct write over buffered data");
    write_with(buffered, 6000, 1000, 42);
    expect_both_read_model("buffered write over direct data");
    write_with(direct_storage, 0, 8192, 43);
    expect_both_read_model("direct write over that");
    EXPECT_EQ(buffered.direct_bytes_written(), 0u);
    EXPECT_EQ(direct_storage.direct_bytes_written(), 12288u + 8192u);
}

TEST_F(FileStorageDirect, ConcurrentDirectWritersToOneFileProduceACorrectFile) {
    constexpr std::int64_t kPiece = 64 * 1024;
    constexpr std::uint32_t kFullPieces = 48;
    constexpr std::int64_t kTotal = kFullPieces * kPiece + 1234;
    const Layout layout = make_layout({{{"big.bin"}, kTotal}}, kPiece, {});
    const auto data = pattern(kTotal, 50);
    FileStorage s(layout, dl.path(), direct());
    constexpr std::uint32_t kPieces = kFullPieces + 1;
    constexpr int kThreads = 4;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // Even threads write from aligned memory, odd ones from memory one byte off (each thread
            // then uses its own bounce buffer).
            AlignedMemory mem(kPiece + 1);
            const std::size_t shift = static_cast<std::size_t>(t % 2);
            for (auto p = static_cast<std::uint32_t>(t); p < kPieces; p += kThreads) {
                const auto n = static_cast<std::size_t>(std::min<std::int64_t>(kPiece, kTotal - p * kPiece));
                const auto src = mem.place(std::span(data).subspan(p * kPiece, n), shift);
                if (src.size() != n || !s.write(PieceIndex{p}, 0, src)) ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    // Every full piece went direct; the 1234-byte last piece holds no whole block.
    EXPECT_EQ(s.direct_bytes_written(), static_cast<std::uint64_t>(kFullPieces * kPiece));
    std::vector<std::uint8_t> back(kTotal, 0xee);
    ASSERT_TRUE(s.read_at(0, back));
    EXPECT_TRUE(back == data);
    EXPECT_TRUE(slurp(dl / "big.bin") == as_string(data));
}

TEST_F(FileStorageDirect, ClosingReleasesBothDescriptorsOfAFileOpenForWriting) {
    const std::size_t before = count_open_fds();
    {
        FileStorage s(make_layout({{{"a"}, 8192}, {{"b"}, 8192}}, 8192, {"t"}), dl.path(), direct());
        AlignedMemory mem(16384);
        ASSERT_TRUE(s.write_at(0, mem.place(pattern(16384, 60), 0)));
        EXPECT_GT(s.direct_bytes_written(), 0u);
        EXPECT_LE(count_open_fds(), before + 4);
        s.close_all();
        EXPECT_EQ(count_open_fds(), before);
        ASSERT_TRUE(s.write_at(0, mem.place(pattern(8192, 61), 0)));  // reopens
    }
    EXPECT_EQ(count_open_fds(), before);
}

TEST(FileStorageDirectSettings, DirectWritesOnAFullTmpfsStillReportNoSpace) {
    TempDir dl;
    TmpfsMount mnt{dl.path()};
    if (const auto why = mnt.mount_small(); !why.empty()) GTEST_SKIP() << why;
    Settings settings;
    settings.direct_writes = true;
    // Either way: direct where this tmpfs takes O_DIRECT, buffered where it does not.
    for (bool single : {false, true}) {
        SCOPED_TRACE(single ? "single file, aligned source" : "file at an odd offset, bounce buffer");
        const Layout layout =
            single ? make_layout({{{"huge.bin"}, 1 << 20}}, 1 << 16, {"one"})
                   : make_layout({{{"small"}, 1000}, {{"huge.bin"}, 1 << 20}}, 1 << 16, {"tor"});
        FileStorage s(layout, dl.path(), settings);
        AlignedMemory mem(1 << 16);
        const auto chunk = mem.place(std::vector<std::uint8_t>(1 << 16, 0x77), 0);
        Result<void, StorageError> r;
        for (std::int64_t off = 0; off < (1 << 20) && r; off += 1 << 16) r = s.write_at(off, chunk);
        ASSERT_FALSE(r) << "a 64 KiB tmpfs accepted 1 MiB";
        const std::string file = dl / (single ? "one/huge.bin" : "tor/huge.bin");
        EXPECT_EQ(r.error().ec, std::errc::no_space_on_device) << r.error().message();
        EXPECT_EQ(r.error().op, Op::write);
        EXPECT_EQ(r.error().file, file);
        EXPECT_EQ(r.error().message(), "write " + file + ": No space left on device");
        s.close_all();
        fs::remove_all(dl / (single ? "one" : "tor"));  // room for the second round
    }
}

}  // namespace
}  // namespace bt::storage
