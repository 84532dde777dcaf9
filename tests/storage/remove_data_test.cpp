#include "storage/remove_data.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "layouts.hpp"
#include "storage/resume_store.hpp"
#include "temp_folders.hpp"

namespace bt::storage {
namespace {

using test_support::count_open_fds;
using test_support::exists_no_follow;
using test_support::make_layout;
using test_support::slurp;
using test_support::TempDir;
using test_support::TmpfsMount;

namespace fs = std::filesystem;

crypto::Sha1Digest hash_of(std::uint8_t fill) {
    crypto::Sha1Digest h{};
    h.fill(fill);
    return h;
}

// Nested folders, an empty file and a pad file (whose folder never exists on disk).
Layout nested_layout() {
    return make_layout({{{"a.txt"}, 5},
                        {{"empty"}, 0},
                        {{"dir", "sub", "b.bin"}, 7},
                        {{".pad", "3"}, 3, true},
                        {{"dir", "c"}, 1},
                        {{"other", "d.dat"}, 13}},
                       8, {"tor"});
}

// Writes every byte of the torrent and its empty files, as a finished download leaves them.
void download(const Layout& layout, const std::string& dl) {
    FileStorage s(layout, dl);
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>(static_cast<std::size_t>(layout.total_size), 0x5a)));
    ASSERT_TRUE(s.create_empty_files());
}

void save_record(const std::string& path, const crypto::Sha1Digest& hash) {
    ResumeData data;
    data.info_hash = hash;
    ASSERT_TRUE(save_resume(path, data));
}

std::error_code not_empty() {
    return {ENOTEMPTY, std::system_category()};
}

TEST(RemoveData, SingleFileTorrentLeavesTheDownloadFolderAndItsOtherFiles) {
    TempDir dl;
    const Layout layout = make_layout({{{"single.bin"}, 13}}, 16, {});
    download(layout, dl.path());
    { std::ofstream(dl / "unrelated.txt") << "mine"; }

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 1u);
    EXPECT_EQ(r->folders_removed, 0u);
    EXPECT_FALSE(r->resume_removed);
    EXPECT_TRUE(r->left.empty());
    EXPECT_FALSE(exists_no_follow(dl / "single.bin"));
    EXPECT_EQ(slurp(dl / "unrelated.txt"), "mine");
}

TEST(RemoveData, MultiFileTorrentGoesWithItsNestedFoldersAndTheDownloadFolderStays) {
    TempDir dl;
    const Layout layout = nested_layout();
    download(layout, dl.path());
    ASSERT_TRUE(fs::exists(dl / "tor/empty"));

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 5u);
    EXPECT_EQ(r->folders_removed, 4u);  // tor/dir/sub, tor/dir, tor/other, tor
    EXPECT_TRUE(r->left.empty());
    EXPECT_TRUE(fs::is_directory(dl.path()));
    EXPECT_TRUE(fs::is_empty(dl.path()));
}

TEST(RemoveData, AUsersOwnFileKeepsItsFolderAndTheFoldersAboveIt) {
    TempDir dl;
    const Layout layout = nested_layout();
    download(layout, dl.path());
    { std::ofstream(dl / "tor/dir/notes.txt") << "mine"; }

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 5u);
    EXPECT_EQ(r->folders_removed, 2u);  // tor/dir/sub and tor/other
    const std::vector<LeftBehind> want = {{dl / "tor/dir", not_empty()}, {dl / "tor", not_empty()}};
    EXPECT_EQ(r->left, want);
    EXPECT_EQ(slurp(dl / "tor/dir/notes.txt"), "mine");
    EXPECT_FALSE(exists_no_follow(dl / "tor/dir/sub"));
    EXPECT_FALSE(exists_no_follow(dl / "tor/dir/c"));
}

class RemoveDataLinks : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(dl.path().empty());
        ASSERT_FALSE(outside.path().empty());
    }
    TempDir dl;
    TempDir outside;
};

TEST_F(RemoveDataLinks, ALinkedFolderIsNotFollowedAndItsTargetIsUntouched) {
    // Outside holds what the torrent names below the link, plus a file of its own.
    ASSERT_EQ(::mkdir((outside / "deeper").c_str(), 0755), 0);
    { std::ofstream(outside / "deeper/f") << "outside f"; }
    { std::ofstream(outside / "precious") << "precious"; }
    const Layout layout = make_layout({{{"a"}, 4}, {{"sub", "deeper", "f"}, 9}}, 16, {"tor"});
    ASSERT_EQ(::mkdir((dl / "tor").c_str(), 0755), 0);
    { std::ofstream(dl / "tor/a") << "aaaa"; }
    ASSERT_EQ(::symlink(outside.path().c_str(), (dl / "tor/sub").c_str()), 0);

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 1u);
    EXPECT_EQ(r->folders_removed, 0u);
    const std::vector<LeftBehind> want = {{dl / "tor/sub", make_error_code(Errc::symlink_refused)},
                                          {dl / "tor", not_empty()}};
    EXPECT_EQ(r->left, want);  // the link once, although it blocks two folders and a file
    EXPECT_TRUE(fs::is_symlink(dl / "tor/sub"));
    EXPECT_EQ(slurp(outside / "deeper/f"), "outside f");
    EXPECT_EQ(slurp(outside / "precious"), "precious");
}

TEST_F(RemoveDataLinks, ALinkedTorrentFolderIsNotFollowed) {
    { std::ofstream(outside / "f") << "outside f"; }
    ASSERT_EQ(::symlink(outside.path().c_str(), (dl / "tor").c_str()), 0);
    const Layout layout = make_layout({{{"f"}, 9}}, 16, {"tor"});

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 0u);
    const std::vector<LeftBehind> want = {{dl / "tor", make_error_code(Errc::symlink_refused)}};
    EXPECT_EQ(r->left, want);
    EXPECT_TRUE(fs::is_symlink(dl / "tor"));
    EXPECT_EQ(slurp(outside / "f"), "outside f");
}

TEST_F(RemoveDataLinks, ALinkInPlaceOfAFileIsLeftAndItsTargetIsUntouched) {
    { std::ofstream(outside / "victim") << "precious"; }
    const Layout layout = make_layout({{{"f"}, 8}, {{"g"}, 4}}, 16, {"tor"});
    download(layout, dl.path());
    ASSERT_EQ(::unlink((dl / "tor/f").c_str()), 0);
    ASSERT_EQ(::symlink((outside / "victim").c_str(), (dl / "tor/f").c_str()), 0);

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 1u);
    const std::vector<LeftBehind> want = {{dl / "tor/f", make_error_code(Errc::symlink_refused)},
                                          {dl / "tor", not_empty()}};
    EXPECT_EQ(r->left, want);
    EXPECT_TRUE(fs::is_symlink(dl / "tor/f"));
    EXPECT_EQ(slurp(outside / "victim"), "precious");
}

TEST(RemoveData, TheTorrentsOwnLinksGoAnotherLinkInTheirPlaceStays) {
    TempDir dl;
    Layout layout = make_layout({{{"dir", "f"}, 4}}, 4, {"tor"});
    for (auto [path, target] :
         {std::pair<std::vector<std::string>, std::vector<std::string>>{{"mine"}, {"dir", "f"}},
          {{"planted"}, {"dir", "f"}},
          {{"skipped"}, {}}}) {
        metainfo::FileEntry f;
        f.path = path;
        f.symlink = true;
        f.symlink_target = target;
        f.offset = 4;
        layout.files.push_back(f);
    }
    download(layout, dl.path());
    FileStorage s(layout, dl.path());
    ASSERT_TRUE(s.create_symlinks().size() == 0);
    fs::remove(dl / "tor/planted");
    fs::create_symlink("/etc", dl / "tor/planted");        // not the text we made: not ours
    std::ofstream(dl / "tor/skipped") << "a user's file";  // we never made a link there
    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 2u) << "dir/f and the link 'mine'";
    EXPECT_FALSE(exists_no_follow(dl / "tor/mine"));
    EXPECT_EQ(fs::read_symlink(dl / "tor/planted"), "/etc");
    EXPECT_EQ(slurp(dl / "tor/skipped"), "a user's file");
    EXPECT_TRUE(fs::exists("/etc/passwd"));
    ASSERT_EQ(r->left.size(), 2u);
    EXPECT_EQ(r->left[0].reason, Errc::symlink_refused);
}

TEST(RemoveData, AFifoOrFolderInPlaceOfAFileIsLeft) {
    TempDir dl;
    ASSERT_EQ(::mkdir((dl / "t").c_str(), 0755), 0);
    ASSERT_EQ(::mkfifo((dl / "t/fifo").c_str(), 0644), 0);
    ASSERT_EQ(::mkdir((dl / "t/dir").c_str(), 0755), 0);
    const Layout layout = make_layout({{{"fifo"}, 4}, {{"dir"}, 4}}, 4, {"t"});

    auto r = remove_data(layout, dl.path(), hash_of(1), "");  // must not block on the FIFO
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 0u);
    const std::vector<LeftBehind> want = {{dl / "t/fifo", make_error_code(Errc::not_a_regular_file)},
                                          {dl / "t/dir", make_error_code(Errc::not_a_regular_file)},
                                          {dl / "t", not_empty()}};
    EXPECT_EQ(r->left, want);
    struct stat st {};
    ASSERT_EQ(::lstat((dl / "t/fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_TRUE(fs::is_directory(dl / "t/dir"));
}

TEST(RemoveData, AFileInPlaceOfAFolderIsLeft) {
    TempDir dl;
    ASSERT_EQ(::mkdir((dl / "tor").c_str(), 0755), 0);
    { std::ofstream(dl / "tor/dir") << "mine"; }
    const Layout layout = make_layout({{{"dir", "f"}, 4}}, 4, {"tor"});

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    const std::vector<LeftBehind> want = {{dl / "tor/dir", std::error_code(ENOTDIR, std::system_category())},
                                          {dl / "tor", not_empty()}};
    EXPECT_EQ(r->left, want);
    EXPECT_EQ(slurp(dl / "tor/dir"), "mine");
}

TEST(RemoveData, MissingFilesAreFineAndRemovingTwiceRemovesNothingMore) {
    TempDir dl;
    const Layout layout = nested_layout();
    FileStorage s(layout, dl.path());
    ASSERT_TRUE(s.write_at(0, std::vector<std::uint8_t>(5, 1)));  // a.txt only
    s.close_all();

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 1u);
    EXPECT_EQ(r->folders_removed, 1u);
    EXPECT_TRUE(r->left.empty());

    r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 0u);
    EXPECT_EQ(r->folders_removed, 0u);
    EXPECT_TRUE(r->left.empty());
    EXPECT_TRUE(fs::is_empty(dl.path()));
}

TEST(RemoveData, AMissingDownloadFolderHasNothingToRemove) {
    TempDir dl;
    auto r = remove_data(nested_layout(), dl / "gone", hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files_removed, 0u);
    EXPECT_TRUE(r->left.empty());
}

TEST(RemoveData, TheResumeRecordGoesWithItsTemporariesAndAnotherTorrentsRecordStays) {
    TempDir dl;
    TempDir records;
    const Layout layout = nested_layout();
    download(layout, dl.path());
    const std::string mine = resume_path(records.path(), dl.path(), hash_of(1));
    const std::string other = resume_path(records.path(), dl.path(), hash_of(2));
    save_record(mine, hash_of(1));
    save_record(other, hash_of(2));
    { std::ofstream(mine + ".tmp-abc123") << "killed save"; }
    { std::ofstream(other + ".tmp-abc123") << "another torrent's save in flight"; }
    const std::size_t fds = count_open_fds();

    auto r = remove_data(layout, dl.path(), hash_of(1), mine);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(count_open_fds(), fds);  // every folder opened on the way is closed again
    EXPECT_TRUE(r->resume_removed);
    EXPECT_TRUE(r->left.empty());
    EXPECT_FALSE(exists_no_follow(mine));
    EXPECT_FALSE(exists_no_follow(mine + ".tmp-abc123"));
    EXPECT_TRUE(fs::is_regular_file(other));
    EXPECT_TRUE(fs::is_regular_file(other + ".tmp-abc123"));

    // The resume folder stays even once it holds no record.
    ASSERT_TRUE(remove_data(layout, dl.path(), hash_of(2), other));
    EXPECT_FALSE(exists_no_follow(other));
    EXPECT_TRUE(fs::is_directory(records.path()));
}

TEST(RemoveData, AnEarlierVersionsRecordInTheDownloadFolderGoesToo) {
    TempDir dl;
    const Layout layout = nested_layout();
    download(layout, dl.path());
    save_record(legacy_resume_path(dl.path(), hash_of(1)), hash_of(1));
    save_record(legacy_resume_path(dl.path(), hash_of(2)), hash_of(2));

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->resume_removed);
    EXPECT_FALSE(exists_no_follow(legacy_resume_path(dl.path(), hash_of(1))));
    EXPECT_TRUE(fs::is_regular_file(legacy_resume_path(dl.path(), hash_of(2))));
}

TEST(RemoveData, ALinkInPlaceOfTheRecordIsNotFollowed) {
    TempDir dl;
    TempDir records;
    TempDir outside;
    const std::string target = outside / "precious";
    { std::ofstream(target) << "not ours to remove"; }
    const std::string record = resume_path(records.path(), dl.path(), hash_of(1));
    ASSERT_EQ(::symlink(target.c_str(), record.c_str()), 0);

    auto r = remove_data(nested_layout(), dl.path(), hash_of(1), record);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(r->resume_removed);
    const std::vector<LeftBehind> want = {{record, make_error_code(Errc::symlink_refused)}};
    EXPECT_EQ(r->left, want);
    EXPECT_EQ(slurp(target), "not ours to remove");
}

TEST(RemoveData, ALinkedLegacyResumeFolderIsNotFollowed) {
    TempDir dl;
    TempDir outside;
    { std::ofstream(outside / legacy_resume_name(hash_of(1))) << "not ours to remove"; }
    ASSERT_EQ(::symlink(outside.path().c_str(), (dl / kLegacyResumeFolder).c_str()), 0);

    auto r = remove_data(nested_layout(), dl.path(), hash_of(1), "");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(r->resume_removed);
    const std::vector<LeftBehind> want = {{dl / kLegacyResumeFolder, make_error_code(Errc::symlink_refused)}};
    EXPECT_EQ(r->left, want);
    EXPECT_TRUE(fs::exists(outside / legacy_resume_name(hash_of(1))));
}

TEST(RemoveData, AnUnsafeLayoutIsRefusedWithoutTouchingTheDisk) {
    TempDir dl;
    { std::ofstream(dl / "keep") << "x"; }
    for (const Layout& layout :
         {make_layout({{{"..", "keep"}, 1}}, 1, {"tor"}), make_layout({{{"keep"}, 1}}, 1, {".bitveil"}),
          make_layout({{{".BITVEIL"}, 1}}, 1, {})}) {
        auto r = remove_data(layout, dl.path(), hash_of(1), "");
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().ec, Errc::invalid_path) << r.error().message();
        EXPECT_EQ(r.error().op, Op::remove);
    }
    EXPECT_EQ(slurp(dl / "keep"), "x");
}

TEST(RemoveData, AFailureOfTheFileSystemIsAnErrorNamingTheFile) {
    TempDir dl;
    TmpfsMount mount{dl.path()};
    if (auto why = mount.mount_small(); !why.empty()) GTEST_SKIP() << why;
    const Layout layout = make_layout({{{"f"}, 4}}, 4, {"tor"});
    download(layout, dl.path());
    if (::mount(nullptr, dl.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
        GTEST_SKIP() << "cannot remount read-only: " << std::strerror(errno);
    }

    auto r = remove_data(layout, dl.path(), hash_of(1), "");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().ec, std::errc::read_only_file_system);
    EXPECT_EQ(r.error().op, Op::remove);
    EXPECT_EQ(r.error().message(), "remove " + (dl / "tor/f") + ": Read-only file system");
    EXPECT_TRUE(fs::exists(dl / "tor/f"));
}

}  // namespace
}  // namespace bt::storage
