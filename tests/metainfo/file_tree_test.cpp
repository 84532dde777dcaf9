#include "metainfo/file_tree.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bt::metainfo::detail {
namespace {

using Path = std::vector<std::string>;

FileEntry entry(Path path, std::int64_t length = 1, bool pad = false) {
    FileEntry f;
    f.path = std::move(path);
    f.length = length;
    f.pad = pad;
    return f;
}

FileEntry link(Path path, Path target) {
    FileEntry f = entry(std::move(path), 0);
    f.symlink = true;
    f.symlink_target = std::move(target);
    return f;
}

std::vector<Path> paths(const std::vector<FileEntry>& files) {
    std::vector<Path> out;
    for (const auto& f : files) out.push_back(f.path);
    return out;
}

TEST(ResolveDuplicatePaths, LeavesDistinctPathsAlone) {
    std::vector<FileEntry> files = {entry({"a", "b"}), entry({"a", "c"}), entry({"b"})};
    EXPECT_TRUE(resolve_duplicate_paths(files, {}).empty());
    EXPECT_EQ(paths(files), (std::vector<Path>{{"a", "b"}, {"a", "c"}, {"b"}}));
}

TEST(ResolveDuplicatePaths, NumbersGoBeforeTheExtension) {
    std::vector<FileEntry> files = {entry({"d", "x.tar.gz"}), entry({"d", "x.tar.gz"}),
                                    entry({"D", "X.TAR.GZ"}), entry({"n"}), entry({"N"})};
    const auto renamed = resolve_duplicate_paths(files, {});
    EXPECT_EQ(
        paths(files),
        (std::vector<Path>{{"d", "x.tar.gz"}, {"d", "x.tar.1.gz"}, {"D", "X.TAR.2.GZ"}, {"n"}, {"N.1"}}));
    ASSERT_EQ(renamed.size(), 3u);
    EXPECT_EQ(renamed[0].file, 1u);
    EXPECT_EQ(renamed[0].from, (Path{"d", "x.tar.gz"}));
    EXPECT_EQ(renamed[0].same_as, 0u);
    EXPECT_EQ(renamed[2].same_as, 3u);
}

TEST(ResolveDuplicatePaths, AFileWhereAFolderIsGivesWay) {
    // The folder comes after the file in the torrent; the file is renamed all the same.
    std::vector<FileEntry> files = {entry({"a"}), entry({"a", "b"}), entry({"a.1"})};
    const auto renamed = resolve_duplicate_paths(files, {});
    EXPECT_EQ(paths(files), (std::vector<Path>{{"a.1"}, {"a", "b"}, {"a.1.1"}}))
        << "folders are taken first, then the files in torrent order (libtorrent gives the same names)";
    ASSERT_EQ(renamed.size(), 2u);
    EXPECT_EQ(renamed[0].same_as, files.size()) << "a folder";
}

TEST(ResolveDuplicatePaths, PathlessPadFilesAreLeftAlone) {
    std::vector<FileEntry> files = {entry({".pad", "5"}, 5, true), entry({".pad", "5"}, 5),
                                    entry({".pad", "5"}, 5, true)};
    const std::vector<bool> pathless = {true, false, true};
    resolve_duplicate_paths(files, pathless);
    EXPECT_EQ(paths(files), (std::vector<Path>{{".pad", "5"}, {".pad", "5"}, {".pad", "5"}}));
}

TEST(CheckSymlinks, FollowsLinksToFolders) {
    std::vector<FileEntry> files = {entry({"d", "e", "f"}), link({"l1"}, {"d"}),
                                    link({"l2"}, {"l1", "e", "f"}), link({"l3"}, {"l2"}),
                                    link({"bad"}, {"l1", "nothing"})};
    const auto skipped = check_symlinks(files);
    ASSERT_EQ(skipped.size(), 1u);
    EXPECT_EQ(skipped[0].file, 4u);
    EXPECT_EQ(skipped[0].target, (Path{"l1", "nothing"}));
    EXPECT_TRUE(files[4].symlink_target.empty());
    EXPECT_EQ(files[2].symlink_target, (Path{"l1", "e", "f"}));
    EXPECT_EQ(files[3].symlink_target, (Path{"l2"}));
}

TEST(CheckSymlinks, LongChainsStayWithinTheBudget) {
    std::vector<FileEntry> files = {entry({"x"})};
    for (int i = 0; i < 3000; ++i) {
        files.push_back(link({"l" + std::to_string(i)}, {i == 0 ? "missing" : "l" + std::to_string(i - 1)}));
    }
    const auto skipped = check_symlinks(files);
    EXPECT_EQ(skipped.size(), 3000u) << "every link leads to the one that is missing";
}

TEST(RelativeLinkText, ClimbsOnlyOutOfTheLinksOwnFolders) {
    EXPECT_EQ(relative_link_text(Path{"l"}, Path{"d", "f"}), "d/f");
    EXPECT_EQ(relative_link_text(Path{"a", "b", "l"}, Path{"x", "y"}), "../../x/y");
    EXPECT_EQ(relative_link_text(Path{"a", "b", "l"}, Path{"a", "c"}), "../c");
    EXPECT_EQ(relative_link_text(Path{"a", "b", "l"}, Path{"a"}), "..");
    EXPECT_EQ(relative_link_text(Path{"a", "l"}, Path{"a"}), ".");
    EXPECT_EQ(relative_link_text(Path{"a", "l"}, Path{"a", "f"}), "f");
}

}  // namespace
}  // namespace bt::metainfo::detail
