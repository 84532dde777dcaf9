#include "cli/file_walker.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace bt::cli {
namespace {

namespace fs = std::filesystem;

class FileWalker : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "bt_file_walker_XXXXXX").string();
        base_ = ::mkdtemp(tmpl.data());
        root_ = base_ / "share";
        fs::create_directories(root_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(base_, ec);
    }
    void file(const std::string& rel, std::size_t size) {
        const fs::path p = root_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << std::string(size, 'x');
    }
    std::vector<std::string> paths(const FoundTree& tree) {
        std::vector<std::string> out;
        for (const auto& f : tree.files) {
            std::string joined;
            for (const auto& c : f.path) joined += (joined.empty() ? "" : "/") + c;
            out.push_back(joined);
        }
        return out;
    }

    fs::path base_;
    fs::path root_;
};

TEST_F(FileWalker, OrdersPathsComponentByComponentAsBytes) {
    for (const char* rel :
         {"b.txt", "a.txt", "a/b/c", "b-c/q", "b/x", "Z", "empty", ".hidden", "\xC3\xA9t\xC3\xA9"}) {
        file(rel, 3);
    }
    auto tree = find_files(root_.string());
    ASSERT_TRUE(tree) << tree.error().message;
    EXPECT_EQ(tree->name, "share");
    EXPECT_FALSE(tree->single_file);
    EXPECT_EQ(paths(*tree), (std::vector<std::string>{".hidden", "Z", "a/b/c", "a.txt", "b/x", "b-c/q",
                                                      "b.txt", "empty", "\xC3\xA9t\xC3\xA9"}));
    EXPECT_EQ(tree->files[2].disk_path, (root_ / "a/b/c").string());
}

TEST_F(FileWalker, KeepsEmptyFilesAndLeavesOutEmptyFolders) {
    file("data", 10);
    file("zero", 0);
    fs::create_directories(root_ / "nothing/inside");
    auto tree = find_files(root_.string());
    ASSERT_TRUE(tree);
    EXPECT_EQ(paths(*tree), (std::vector<std::string>{"data", "zero"}));
    EXPECT_EQ(tree->files[0].length, 10);
    EXPECT_EQ(tree->files[1].length, 0);
}

TEST_F(FileWalker, EmptyFolderGivesNoFiles) {
    auto tree = find_files(root_.string());
    ASSERT_TRUE(tree);
    EXPECT_TRUE(tree->files.empty());
}

TEST_F(FileWalker, SingleFileIsNamedAfterItself) {
    file("movie.mkv", 1234);
    auto tree = find_files((root_ / "movie.mkv").string());
    ASSERT_TRUE(tree);
    EXPECT_TRUE(tree->single_file);
    EXPECT_EQ(tree->name, "movie.mkv");
    ASSERT_EQ(tree->files.size(), 1u);
    EXPECT_TRUE(tree->files[0].path.empty());
    EXPECT_EQ(tree->files[0].length, 1234);
}

TEST_F(FileWalker, TrailingSlashAndDotUseTheFoldersRealName) {
    file("f", 1);
    auto slash = find_files(root_.string() + "///");
    ASSERT_TRUE(slash);
    EXPECT_EQ(slash->name, "share");
    EXPECT_EQ(slash->files[0].disk_path, root_.string() + "/f");
    auto dot = find_files((root_ / ".").string());
    ASSERT_TRUE(dot);
    EXPECT_EQ(dot->name, "share");
    auto dotdot = find_files((root_ / "sub" / "..").string());
    EXPECT_FALSE(dotdot);  // share/sub does not exist
    fs::create_directory(root_ / "sub");
    dotdot = find_files((root_ / "sub" / "..").string());
    ASSERT_TRUE(dotdot);
    EXPECT_EQ(dotdot->name, "share");
}

TEST_F(FileWalker, FollowsSymlinksToFilesAndFolders) {
    file("real/data", 7);
    fs::create_symlink(root_ / "real/data", root_ / "link-to-file");
    fs::create_directory_symlink(root_ / "real", root_ / "link-to-dir");
    auto tree = find_files(root_.string());
    ASSERT_TRUE(tree) << tree.error().message;
    EXPECT_EQ(paths(*tree), (std::vector<std::string>{"link-to-dir/data", "link-to-file", "real/data"}));
    EXPECT_EQ(tree->files[1].length, 7);
}

TEST_F(FileWalker, BrokenSymlinkIsAnError) {
    file("ok", 1);
    fs::create_symlink(root_ / "missing", root_ / "dangling");
    auto tree = find_files(root_.string());
    ASSERT_FALSE(tree);
    EXPECT_EQ(tree.error().path, (root_ / "dangling").string());
    EXPECT_EQ(tree.error().message, "broken symbolic link");
}

TEST_F(FileWalker, SymlinkLoopIsAnError) {
    file("sub/f", 1);
    fs::create_directory_symlink(root_, root_ / "sub" / "back");
    auto tree = find_files(root_.string());
    ASSERT_FALSE(tree);
    EXPECT_NE(tree.error().message.find("loop"), std::string::npos);
}

TEST_F(FileWalker, FifoIsAnError) {
    file("ok", 1);
    ASSERT_EQ(::mkfifo((root_ / "pipe").c_str(), 0600), 0);
    auto tree = find_files(root_.string());
    ASSERT_FALSE(tree);
    EXPECT_EQ(tree.error().path, (root_ / "pipe").string());
    EXPECT_EQ(tree.error().message, "not a regular file or folder");
}

TEST_F(FileWalker, MissingPathIsAnError) {
    auto tree = find_files((root_ / "nope").string());
    ASSERT_FALSE(tree);
    EXPECT_EQ(tree.error().message, "No such file or directory");
}

}  // namespace
}  // namespace bt::cli
