#include "metainfo/torrent_builder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bencode/decode.hpp"
#include "metainfo/metainfo.hpp"

namespace bt::metainfo {
namespace {

crypto::Sha1Digest digest(std::uint8_t fill) {
    crypto::Sha1Digest d{};
    d.fill(fill);
    return d;
}

std::vector<crypto::Sha1Digest> digests(std::size_t n) {
    std::vector<crypto::Sha1Digest> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(digest(static_cast<std::uint8_t>(i + 1)));
    return out;
}

TorrentSpec multi_file_spec() {
    TorrentSpec spec;
    spec.name = "album";
    spec.files = {{{"a.flac"}, 40'000}, {{"cd 2", "b.flac"}, 1}, {{"empty.txt"}, 0}, {{"z"}, 9'000}};
    spec.piece_length = 16384;
    spec.piece_hashes = digests(3);  // 49001 bytes
    spec.trackers = {{"http://t1.example/announce"}, {"udp://t2.example:6969"}};
    spec.is_private = true;
    spec.comment = "a comment";
    spec.created_by = "bitveil/0.1.0";
    spec.creation_date = 1'700'000'000;
    return spec;
}

TEST(TorrentBuilder, MultiFileTorrentParsesBackWithEveryField) {
    const auto spec = multi_file_spec();
    auto bytes = build_torrent(spec);
    ASSERT_TRUE(bytes) << bytes.error().message();
    auto m = parse_torrent(*bytes);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->name, "album");
    EXPECT_TRUE(m->multi_file);
    EXPECT_EQ(m->piece_length, 16384);
    EXPECT_EQ(m->total_size, 49'001);
    EXPECT_EQ(m->piece_hashes, spec.piece_hashes);
    ASSERT_EQ(m->files.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(m->files[i].path, spec.files[i].path);
        EXPECT_EQ(m->files[i].length, spec.files[i].length);
        EXPECT_FALSE(m->files[i].pad);
    }
    EXPECT_EQ(m->files[3].offset, 40'001);
    EXPECT_EQ(m->trackers, spec.trackers);
    EXPECT_TRUE(m->is_private);
    EXPECT_EQ(m->comment, "a comment");
    EXPECT_EQ(m->created_by, "bitveil/0.1.0");
    EXPECT_EQ(m->creation_date, 1'700'000'000);
    EXPECT_FALSE(m->hybrid);
}

TEST(TorrentBuilder, InfoHashIsSha1OfTheEncodedInfoDictionary) {
    auto bytes = build_torrent(multi_file_spec());
    ASSERT_TRUE(bytes);
    auto root = bencode::decode(*bytes);
    ASSERT_TRUE(root);
    const auto* info = root->find("info");
    ASSERT_NE(info, nullptr);
    auto m = parse_torrent(*bytes);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->info_hash.bytes, crypto::sha1(info->raw()));
}

TEST(TorrentBuilder, OneFileWithAnEmptyPathGivesTheSingleFileForm) {
    TorrentSpec spec;
    spec.name = "movie.mkv";
    spec.files = {{{}, 100'003}};
    spec.piece_length = 32768;
    spec.piece_hashes = digests(4);
    auto bytes = build_torrent(spec);
    ASSERT_TRUE(bytes) << bytes.error().message();
    // The exact encoding: no announce, no optional fields, info keys sorted.
    std::string pieces;
    for (const auto& d : spec.piece_hashes) pieces.append(d.begin(), d.end());
    EXPECT_EQ(*bytes,
              "d4:infod6:lengthi100003e4:name9:movie.mkv12:piece lengthi32768e6:pieces80:" + pieces + "ee");
    auto m = parse_torrent(*bytes);
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_FALSE(m->multi_file);
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].path, std::vector<std::string>{"movie.mkv"});
    EXPECT_EQ(m->total_size, 100'003);
    EXPECT_TRUE(m->trackers.empty());
}

TEST(TorrentBuilder, OneFileInsideAFolderKeepsTheMultiFileForm) {
    TorrentSpec spec;
    spec.name = "folder";
    spec.files = {{{"only.bin"}, 10}};
    spec.piece_length = 16384;
    spec.piece_hashes = digests(1);
    auto bytes = build_torrent(spec);
    ASSERT_TRUE(bytes);
    auto m = parse_torrent(*bytes);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->multi_file);
    EXPECT_EQ(m->files[0].path, std::vector<std::string>{"only.bin"});
}

TEST(TorrentBuilder, SingleTrackerWritesAnnounceWithoutAnnounceList) {
    auto spec = multi_file_spec();
    spec.trackers = {{"http://only.example/announce"}};
    auto bytes = build_torrent(spec);
    ASSERT_TRUE(bytes);
    EXPECT_NE(bytes->find("8:announce28:http://only.example/announce"), std::string::npos);
    EXPECT_EQ(bytes->find("announce-list"), std::string::npos);
}

TEST(TorrentBuilder, SeveralTrackersWriteAnnounceListInTierOrder) {
    auto spec = multi_file_spec();
    spec.trackers = {{"http://a/1", "http://b/2"}, {"udp://c:1"}};
    auto bytes = build_torrent(spec);
    ASSERT_TRUE(bytes);
    EXPECT_NE(bytes->find("8:announce10:http://a/1"), std::string::npos);
    EXPECT_NE(bytes->find("13:announce-listll10:http://a/110:http://b/2el9:udp://c:1ee"), std::string::npos);
}

TEST(TorrentBuilder, OptionalFieldsAreOmittedWhenEmpty) {
    auto spec = multi_file_spec();
    spec.trackers.clear();
    spec.comment.clear();
    spec.created_by.clear();
    spec.creation_date.reset();
    spec.is_private = false;
    auto bytes = build_torrent(spec);
    ASSERT_TRUE(bytes);
    for (const char* key : {"announce", "comment", "created by", "creation date", "private"}) {
        EXPECT_EQ(bytes->find(key), std::string::npos) << key;
    }
}

struct BadCase {
    const char* what;
    void (*mutate)(TorrentSpec&);
    Errc code;
};

class TorrentBuilderRefuses : public ::testing::TestWithParam<BadCase> {};

TEST_P(TorrentBuilderRefuses, InvalidSpec) {
    auto spec = multi_file_spec();
    GetParam().mutate(spec);
    auto bytes = build_torrent(spec);
    ASSERT_FALSE(bytes);
    EXPECT_EQ(bytes.error().code, GetParam().code) << bytes.error().message();
    EXPECT_FALSE(bytes.error().message().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TorrentBuilderRefuses,
    ::testing::Values(
        BadCase{"empty name", [](TorrentSpec& s) { s.name.clear(); }, Errc::invalid_name},
        BadCase{"dotdot name", [](TorrentSpec& s) { s.name = ".."; }, Errc::invalid_name},
        BadCase{"slash in name", [](TorrentSpec& s) { s.name = "a/b"; }, Errc::invalid_name},
        BadCase{"no files", [](TorrentSpec& s) { s.files.clear(); }, Errc::no_files},
        BadCase{"empty path in multi file", [](TorrentSpec& s) { s.files[1].path.clear(); },
                Errc::invalid_path},
        BadCase{"dotdot component", [](TorrentSpec& s) { s.files[1].path[0] = ".."; }, Errc::invalid_path},
        BadCase{"dot component", [](TorrentSpec& s) { s.files[1].path[0] = "."; }, Errc::invalid_path},
        BadCase{"nul in component", [](TorrentSpec& s) { s.files[0].path[0] = std::string("a\0b", 3); },
                Errc::invalid_path},
        BadCase{"duplicate path", [](TorrentSpec& s) { s.files[3].path = {"a.flac"}; }, Errc::invalid_path},
        BadCase{"file is also a folder",
                [](TorrentSpec& s) {
                    s.files[3].path = {"a.flac", "x"};
                },
                Errc::invalid_path},
        BadCase{"negative length", [](TorrentSpec& s) { s.files[0].length = -1; }, Errc::invalid_length},
        BadCase{"total size zero",
                [](TorrentSpec& s) {
                    for (auto& f : s.files) f.length = 0;
                    s.piece_hashes.clear();
                },
                Errc::invalid_length},
        BadCase{"zero piece length", [](TorrentSpec& s) { s.piece_length = 0; }, Errc::invalid_piece_length},
        BadCase{"too few hashes", [](TorrentSpec& s) { s.piece_hashes.pop_back(); }, Errc::invalid_pieces},
        BadCase{"too many hashes", [](TorrentSpec& s) { s.piece_hashes.push_back({}); },
                Errc::invalid_pieces},
        BadCase{"empty tier", [](TorrentSpec& s) { s.trackers.push_back({}); }, Errc::invalid_field},
        BadCase{"empty url", [](TorrentSpec& s) { s.trackers[0][0].clear(); }, Errc::invalid_field}),
    [](const auto& param_info) {
        std::string name = param_info.param.what;
        for (auto& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
        return name;
    });

TEST(TorrentBuilder, AnInfoDictionaryWrappedWithTrackersKeepsItsInfoHash) {
    auto built = build_torrent(multi_file_spec());
    ASSERT_TRUE(built);
    auto original = parse_torrent(*built);
    ASSERT_TRUE(original);
    const std::vector<std::vector<std::string>> tiers = {
        {"udp://a.example:1/announce", ""}, {}, {"http://b/x"}};
    auto wrapped = parse_torrent(wrap_info_dictionary(original->info_bytes, tiers));
    ASSERT_TRUE(wrapped) << wrapped.error().message();
    EXPECT_EQ(wrapped->info_hash.bytes, original->info_hash.bytes);
    EXPECT_EQ(wrapped->trackers,
              (std::vector<std::vector<std::string>>{{"udp://a.example:1/announce"}, {"http://b/x"}}));
    auto bare = parse_torrent(wrap_info_dictionary(original->info_bytes, {}));
    ASSERT_TRUE(bare) << bare.error().message();
    EXPECT_TRUE(bare->trackers.empty());
    EXPECT_EQ(bare->info_hash.bytes, original->info_hash.bytes);
}

}  // namespace
}  // namespace bt::metainfo
