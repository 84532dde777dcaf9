#include "storage/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "storage/resume_store.hpp"
#include "temp_folders.hpp"

namespace bt::storage {
namespace {

using test_support::TempDir;
using test_support::TmpfsMount;

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t entries(const std::string& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(AtomicFile, CreatesTheFileAndLeavesNoTemporary) {
    TempDir d;
    ASSERT_TRUE(write_file_atomic(d / "a.resume", "hello"));
    EXPECT_EQ(slurp(d / "a.resume"), "hello");
    EXPECT_EQ(entries(d.path()), 1u);
}

TEST(AtomicFile, ReplacesExistingContentWhole) {
    TempDir d;
    ASSERT_TRUE(write_file_atomic(d / "a", std::string(10000, 'x')));
    ASSERT_TRUE(write_file_atomic(d / "a", "short"));
    EXPECT_EQ(slurp(d / "a"), "short");
    EXPECT_EQ(entries(d.path()), 1u);
}

TEST(AtomicFile, WithoutFsyncTheReplacementIsStillWholeAndLeavesNoTemporary) {
    TempDir d;
    ASSERT_TRUE(write_file_atomic(d / "a", std::string(10000, 'x'), Durability::process));
    ASSERT_TRUE(write_file_atomic(d / "a", "short", Durability::process));
    EXPECT_EQ(slurp(d / "a"), "short");
    EXPECT_EQ(entries(d.path()), 1u);
}

TEST(AtomicFile, MissingFolderFailsWithoutCreatingAnything) {
    TempDir d;
    auto r = write_file_atomic(d / "no/a", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, std::errc::no_such_file_or_directory);
    EXPECT_EQ(entries(d.path()), 0u);
}

TEST(AtomicFile, RenameOntoAFolderFailsAndRemovesTheTemporary) {
    TempDir d;
    fs::create_directories(d / "a/inner");
    auto r = write_file_atomic(d / "a", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().op, Op::rename);
    EXPECT_EQ(entries(d.path()), 1u);  // only the folder
}

TEST(AtomicFile, FullDiskKeepsTheOldContentAndRemovesTheTemporary) {
    TempDir d;
    TmpfsMount mnt{d.path()};
    if (const auto why = mnt.mount_small(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(write_file_atomic(d / "a", "old"));
    {
        std::ofstream filler(d / "filler", std::ios::binary);
        const std::string block(4096, 'f');
        for (int i = 0; i < 64 && filler; ++i) filler.write(block.data(), block.size());
    }
    for (const auto durability : {Durability::machine, Durability::process}) {
        auto r = write_file_atomic(d / "a", std::string(32 * 1024, 'n'), durability);
        ASSERT_FALSE(r) << "a full 64 KiB tmpfs took 32 KiB more";
        EXPECT_TRUE(r.error().is_disk_full()) << r.error().message();
        EXPECT_EQ(slurp(d / "a"), "old");
    }
    EXPECT_EQ(entries(d.path()), 2u);  // a and filler
}

TEST(AtomicFile, ContentWrittenInPartsIsWholeAndAFullDiskMidwayStopsTheRestAndKeepsTheOld) {
    TempDir d;
    ASSERT_TRUE(write_file_atomic(d / "a", [](const PartWriter& write) {
        for (char c = 'a'; c <= 'e'; ++c) write(std::string(1000, c));
    }));
    const auto text = slurp(d / "a");
    ASSERT_EQ(text.size(), 5000u);
    EXPECT_EQ(text.substr(0, 1000), std::string(1000, 'a'));
    EXPECT_EQ(text.substr(4000), std::string(1000, 'e'));

    TmpfsMount mnt{d / "small"};
    fs::create_directory(d / "small");
    if (const auto why = mnt.mount_small(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(write_file_atomic(d / "small/a", "old"));
    int parts = 0;
    auto r = write_file_atomic(d / "small/a", [&](const PartWriter& write) {
        for (int i = 0; i < 64; ++i) {  // 128 KiB on a 64 KiB tmpfs
            write(std::string(2048, 'n'));
            ++parts;
        }
    });
    ASSERT_FALSE(r) << "a 64 KiB tmpfs took 128 KiB";
    EXPECT_TRUE(r.error().is_disk_full()) << r.error().message();
    EXPECT_EQ(parts, 64) << "the producer runs to its end; the writes after the failure do nothing";
    EXPECT_EQ(slurp(d / "small/a"), "old");
    EXPECT_EQ(entries(d / "small"), 1u);
}

TEST(AtomicFile, ReadFileIsBoundedAndReportsAbsence) {
    TempDir d;
    auto absent = read_file(d / "nope", 100);
    ASSERT_FALSE(absent);
    EXPECT_EQ(absent.error().ec, std::errc::no_such_file_or_directory);
    ASSERT_TRUE(write_file_atomic(d / "f", std::string(101, 'z')));
    auto big = read_file(d / "f", 100);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().ec, make_error_code(Errc::file_too_large));
    auto ok = read_file(d / "f", 101);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, std::string(101, 'z'));
    ASSERT_TRUE(write_file_atomic(d / "empty", ""));
    auto empty = read_file(d / "empty", 0);
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, "");
}

TEST(AtomicFile, ReadFileRefusesSymlinksAndFolders) {
    TempDir d;
    ASSERT_TRUE(write_file_atomic(d / "target", "t"));
    fs::create_symlink(d / "target", d / "link");
    EXPECT_FALSE(read_file(d / "link", 100));
    fs::create_directory(d / "dir");
    auto r = read_file(d / "dir", 100);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, make_error_code(Errc::not_a_regular_file));
}

TEST(AtomicFile, EnsureDirectoryIsIdempotentAndRefusesAFile) {
    TempDir d;
    EXPECT_TRUE(ensure_directory(d / "x"));
    EXPECT_TRUE(ensure_directory(d / "x"));
    EXPECT_TRUE(fs::is_directory(d / "x"));
    ASSERT_TRUE(write_file_atomic(d / "file", "f"));
    auto r = ensure_directory(d / "file");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, std::errc::not_a_directory);
}

TEST(AtomicFile, StaleTemporariesOfThatFileOnlyAreRemoved) {
    TempDir d;
    for (const char* name : {"a.resume.tmp-abc123", "a.resume.tmp-XYZ789", "b.resume.tmp-abc123", "a.resume",
                             "a.resume.tmp-toolong1"}) {
        std::ofstream(d / name) << "x";
    }
    EXPECT_EQ(remove_stale_temporaries(d / "a.resume"), 2u);
    EXPECT_TRUE(fs::exists(d / "a.resume"));
    EXPECT_TRUE(fs::exists(d / "b.resume.tmp-abc123"));
    EXPECT_TRUE(fs::exists(d / "a.resume.tmp-toolong1"));
    EXPECT_FALSE(fs::exists(d / "a.resume.tmp-abc123"));
}

TEST(AtomicFile, StaleTemporariesOfEveryFileInAFolderAreRemovedInOnePass) {
    TempDir d;
    for (const char* name : {"a.resume.tmp-abc123", "b.parts.tmp-XYZ789", "a.resume", "c.resume.tmp-toolong1",
                             ".tmp-abc123", "d.tmp-ab"}) {
        std::ofstream(d / name) << "x";
    }
    EXPECT_EQ(remove_stale_temporaries_in(d.path()), 2u);
    EXPECT_FALSE(fs::exists(d / "a.resume.tmp-abc123"));
    EXPECT_FALSE(fs::exists(d / "b.parts.tmp-XYZ789"));
    for (const char* kept : {"a.resume", "c.resume.tmp-toolong1", ".tmp-abc123", "d.tmp-ab"})
        EXPECT_TRUE(fs::exists(d / kept)) << kept;
    EXPECT_EQ(remove_stale_temporaries_in(d / "absent"), 0u);
}

TEST(AtomicFile, AFreshTemporaryStaysWhenTheSweepAsksForAMinimumAge) {
    // Another process sharing the folder may be writing it right now.
    TempDir d;
    std::ofstream(d / "new.resume.tmp-abc123") << "x";
    std::ofstream(d / "old.resume.tmp-abc123") << "x";
    fs::last_write_time(d / "old.resume.tmp-abc123",
                        fs::file_time_type::clock::now() - std::chrono::minutes(5));
    EXPECT_EQ(remove_stale_temporaries_in(d.path(), std::chrono::minutes(1)), 1u);
    EXPECT_TRUE(fs::exists(d / "new.resume.tmp-abc123"));
    EXPECT_FALSE(fs::exists(d / "old.resume.tmp-abc123"));
}

// ---------------------------------------------------------------------------------------------------
// resume_store: one record per torrent and download folder, in a folder of its own

TEST(ResumeStore, PathIsKeyedByInfoHashAndDownloadFolder) {
    crypto::Sha1Digest h{};
    h.fill(0xab);
    const std::string path = resume_path("/state", "/no/such/dl", h);
    EXPECT_TRUE(path.starts_with("/state/abababababababababababababababababababab-")) << path;
    EXPECT_TRUE(path.ends_with(".resume")) << path;
    EXPECT_EQ(path.size(), std::string("/state/").size() + 40 + 1 + 16 + std::string(".resume").size());
    EXPECT_EQ(resume_path("/state/", "/no/such/dl/", h), path);
    EXPECT_EQ(resume_path("/state", "/no/such/./dl", h), path);
    EXPECT_NE(resume_path("/state", "/no/such/dl2", h), path);
    crypto::Sha1Digest other{};
    EXPECT_EQ(resume_path("/state", "/no/such/dl", other).substr(47), path.substr(47))
        << "the folder key does not depend on the torrent";
    // A relative folder is the same folder as its absolute path, and a link to it is too.
    TempDir d;
    fs::create_directory(d / "dl");
    const auto previous = fs::current_path();
    fs::current_path(d.path());
    const std::string relative = resume_path("/state", "dl", h);
    fs::current_path(previous);
    EXPECT_EQ(relative, resume_path("/state", d / "dl", h));
    ASSERT_EQ(::symlink((d / "dl").c_str(), (d / "link").c_str()), 0);
    EXPECT_EQ(resume_path("/state", d / "link", h), resume_path("/state", d / "dl", h));
}

TEST(ResumeStore, SaveThenLoadGivesTheSameData) {
    TempDir d;
    ResumeData data;
    data.info_hash.fill(3);
    data.verified = Bitfield(9);
    data.verified.set(PieceIndex{8});
    data.files = {FileStamp{true, 10, 20}, FileStamp{}};
    const auto path = resume_path(d / "state/deeper", d / "dl", data.info_hash);
    ASSERT_TRUE(save_resume(path, data));  // creates the folder and its parents
    struct stat st {};
    ASSERT_EQ(::stat((d / "state/deeper").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << "the records are the user's own";
    std::ofstream(path + ".tmp-killed") << "left by a kill -9";
    auto loaded = load_resume(path, 9, 2);
    ASSERT_TRUE(loaded.data) << loaded.problem;
    EXPECT_EQ(*loaded.data, data);
    EXPECT_TRUE(loaded.problem.empty());
    // The session sweeps the folder once when it starts (remove_stale_temporaries_in), not each load.
    EXPECT_EQ(remove_stale_temporaries_in(d / "state/deeper"), 1u);
    EXPECT_FALSE(fs::exists(path + ".tmp-killed"));
}

TEST(ResumeStore, AbsentIsQuietCorruptIsExplained) {
    TempDir d;
    crypto::Sha1Digest h{};
    const auto path = resume_path(d.path(), d / "dl", h);
    auto absent = load_resume(path, 4, 1);
    EXPECT_FALSE(absent.data);
    EXPECT_EQ(absent.problem, "");
    std::ofstream(path) << "d11:file-format";  // truncated
    auto corrupt = load_resume(path, 4, 1);
    EXPECT_FALSE(corrupt.data);
    EXPECT_NE(corrupt.problem.find("malformed bencode"), std::string::npos) << corrupt.problem;
    std::ofstream(path) << std::string(100000, 'x');  // larger than 4 pieces and 1 file can need
    auto huge = load_resume(path, 4, 1);
    EXPECT_FALSE(huge.data);
    EXPECT_NE(huge.problem.find("file too large"), std::string::npos) << huge.problem;
}

ResumeData record_of(std::uint8_t fill) {
    ResumeData data;
    data.info_hash.fill(fill);
    data.verified = Bitfield(3);
    data.verified.set(PieceIndex{1});
    return data;
}

TEST(ResumeStore, AnEarlierVersionsRecordIsMovedOnceAndItsFolderGoesWhenEmpty) {
    TempDir d;
    const std::string dl = d / "dl";
    const auto mine = record_of(1);
    const auto other = record_of(2);
    ASSERT_TRUE(save_resume(legacy_resume_path(dl, mine.info_hash), mine));
    ASSERT_TRUE(save_resume(legacy_resume_path(dl, other.info_hash), other));
    const std::string path = resume_path(d / "state", dl, mine.info_hash);

    adopt_legacy_resume(dl, mine.info_hash, path, 4096);
    auto loaded = load_resume(path, 3, 0);
    ASSERT_TRUE(loaded.data) << loaded.problem;
    EXPECT_EQ(*loaded.data, mine);
    EXPECT_FALSE(fs::exists(legacy_resume_path(dl, mine.info_hash)));
    EXPECT_TRUE(fs::is_directory(dl + "/.bitveil")) << "another torrent's record is still there";

    const std::string other_path = resume_path(d / "state", dl, other.info_hash);
    adopt_legacy_resume(dl, other.info_hash, other_path, 4096);
    EXPECT_TRUE(load_resume(other_path, 3, 0).data);
    EXPECT_FALSE(fs::exists(dl + "/.bitveil")) << "an emptied folder is removed";
    EXPECT_TRUE(fs::is_directory(dl));
}

TEST(ResumeStore, ARecordAlreadyInItsNewPlaceWinsOverAnOldOne) {
    TempDir d;
    const std::string dl = d / "dl";
    auto old_record = record_of(1);
    auto current = record_of(1);
    current.verified.set(PieceIndex{2});
    const std::string path = resume_path(d / "state", dl, current.info_hash);
    ASSERT_TRUE(save_resume(path, current));
    ASSERT_TRUE(save_resume(legacy_resume_path(dl, old_record.info_hash), old_record));

    adopt_legacy_resume(dl, current.info_hash, path, 4096);
    EXPECT_EQ(*load_resume(path, 3, 0).data, current);
    EXPECT_FALSE(fs::exists(dl + "/.bitveil"));
}

TEST(ResumeStore, ALinkedLegacyFolderIsNotAdopted) {
    TempDir d;
    const std::string dl = d / "dl";
    const auto mine = record_of(1);
    ASSERT_TRUE(save_resume(legacy_resume_path(d / "elsewhere", mine.info_hash), mine));
    fs::create_directory(dl);
    ASSERT_EQ(::symlink((d / "elsewhere/.bitveil").c_str(), (dl + "/.bitveil").c_str()), 0);
    const std::string path = resume_path(d / "state", dl, mine.info_hash);

    adopt_legacy_resume(dl, mine.info_hash, path, 4096);
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::is_regular_file(legacy_resume_path(d / "elsewhere", mine.info_hash)));
}

}  // namespace
}  // namespace bt::storage
