#include "metainfo/metainfo.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/hex.hpp"
#include "crypto/sha1.hpp"

namespace bt::metainfo {
namespace {

// A tiny bencode writer for building test torrents, independent of the encoder. Dictionaries are
// std::maps from key to already-encoded value, so they come out sorted.
using Dict = std::map<std::string, std::string>;

std::string s(std::string_view text) {
    return std::to_string(text.size()) + ":" + std::string(text);
}
std::string i(std::int64_t v) {
    return "i" + std::to_string(v) + "e";
}
std::string l(const std::vector<std::string>& items) {
    std::string out = "l";
    for (const auto& item : items) out += item;
    return out + "e";
}
std::string d(const Dict& dict) {
    std::string out = "d";
    for (const auto& [k, v] : dict) out += s(k) + v;
    return out + "e";
}
std::string path(const std::vector<std::string>& components) {
    std::vector<std::string> encoded;
    for (const auto& c : components) encoded.push_back(s(c));
    return l(encoded);
}
std::string file(std::int64_t length, const std::vector<std::string>& components, std::string attr = "") {
    Dict f{{"length", i(length)}, {"path", path(components)}};
    if (!attr.empty()) f["attr"] = s(attr);
    return d(f);
}
// `count` distinct 20-byte hashes.
std::string hashes(std::size_t count) {
    std::string out;
    for (std::size_t n = 0; n < count; ++n) out += std::string(20, static_cast<char>('A' + n % 26));
    return out;
}

constexpr std::int64_t kPiece = 16 * 1024;

// Multi-file: album/{a/b.txt (1000), c.flac (30000)} = 31000 bytes = 2 pieces of 16 KiB.
Dict multi_info() {
    return {{"name", s("album")},
            {"piece length", i(kPiece)},
            {"pieces", s(hashes(2))},
            {"files", l({file(1000, {"a", "b.txt"}), file(30000, {"c.flac"})})}};
}
Dict single_info() {
    return {
        {"name", s("file.bin")}, {"piece length", i(kPiece)}, {"pieces", s(hashes(3))}, {"length", i(40000)}};
}
std::string torrent(const Dict& info, Dict root = {}) {
    root["info"] = d(info);
    return d(root);
}

TEST(Metainfo, ParsesHandBuiltMultiFileTorrent) {
    const Dict info = multi_info();
    const std::string bytes = torrent(info, {{"announce", s("http://t.example/announce")},
                                             {"comment", s("hello")},
                                             {"created by", s("bitveil test")},
                                             {"creation date", i(1700000000)}});
    auto r = parse_torrent(bytes);
    ASSERT_TRUE(r) << r.error().message();
    const Metainfo& m = *r;
    EXPECT_EQ(m.name, "album");
    EXPECT_TRUE(m.multi_file);
    EXPECT_FALSE(m.hybrid);
    EXPECT_FALSE(m.is_private);
    EXPECT_EQ(m.piece_length, kPiece);
    EXPECT_EQ(m.total_size, 31000);
    EXPECT_EQ(m.info_bytes, d(info));
    EXPECT_EQ(m.info_hash.bytes, crypto::sha1(d(info)));
    EXPECT_EQ(m.info_hash.hex(), to_hex(crypto::sha1(d(info))));
    ASSERT_EQ(m.files.size(), 2u);
    EXPECT_EQ(m.files[0].path, (std::vector<std::string>{"a", "b.txt"}));
    EXPECT_EQ(m.files[0].path_string(), "a/b.txt");
    EXPECT_EQ(m.files[0].length, 1000);
    EXPECT_EQ(m.files[0].offset, 0);
    EXPECT_EQ(m.files[1].path, (std::vector<std::string>{"c.flac"}));
    EXPECT_EQ(m.files[1].offset, 1000);
    EXPECT_FALSE(m.files[1].pad);
    ASSERT_EQ(m.num_pieces(), 2u);
    EXPECT_EQ(std::string(m.piece_hashes[0].begin(), m.piece_hashes[0].end()), std::string(20, 'A'));
    EXPECT_EQ(std::string(m.piece_hashes[1].begin(), m.piece_hashes[1].end()), std::string(20, 'B'));
    EXPECT_EQ(m.piece_size(0), kPiece);
    EXPECT_EQ(m.piece_size(1), 31000 - kPiece);
    EXPECT_EQ(m.piece_size(2), 0);
    EXPECT_EQ(m.trackers, (std::vector<std::vector<std::string>>{{"http://t.example/announce"}}));
    EXPECT_EQ(m.comment, "hello");
    EXPECT_EQ(m.created_by, "bitveil test");
    EXPECT_EQ(m.creation_date, 1700000000);
}

TEST(Metainfo, SingleFileTorrentHasOneFileNamedAfterTheTorrent) {
    auto r = parse_torrent(torrent(single_info()));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(r->multi_file);
    ASSERT_EQ(r->files.size(), 1u);
    EXPECT_EQ(r->files[0].path, (std::vector<std::string>{"file.bin"}));
    EXPECT_EQ(r->files[0].length, 40000);
    EXPECT_EQ(r->files[0].offset, 0);
    EXPECT_EQ(r->total_size, 40000);
    EXPECT_EQ(r->num_pieces(), 3u);
    EXPECT_EQ(r->piece_size(2), 40000 - 2 * kPiece);
    EXPECT_TRUE(r->trackers.empty());
    EXPECT_FALSE(r->creation_date.has_value());
}

TEST(Metainfo, LastPieceIsFullWhenTotalIsAMultipleOfPieceLength) {
    Dict info = single_info();
    info["length"] = i(2 * kPiece);
    info["pieces"] = s(hashes(2));
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->piece_size(1), kPiece);
}

TEST(Metainfo, InfoHashUsesRawBytesEvenWhenKeysAreUnsorted) {
    // Keys out of order both outside and inside info: a re-encoding would change the hash.
    const std::string info =
        "d6:lengthi40000e4:name8:file.bin6:pieces60:" + hashes(3) + "12:piece lengthi16384ee";
    const std::string bytes = "d4:info" + info + "8:announce" + s("http://t/a") + "e";
    auto r = parse_torrent(bytes);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->info_hash.bytes, crypto::sha1(info));
    EXPECT_EQ(r->info_bytes, info);
    EXPECT_EQ(r->trackers, (std::vector<std::vector<std::string>>{{"http://t/a"}}));
}

TEST(Metainfo, DuplicateKeysAreStillRefused) {
    const std::string bytes = "d4:info" + d(single_info()) + "4:info" + d(single_info()) + "e";
    auto r = parse_torrent(bytes);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::malformed_bencode);
}

TEST(Metainfo, ParseInfoLoadsABareInfoDictionary) {
    const std::string info = d(multi_info());
    auto bare = parse_info(info);
    ASSERT_TRUE(bare) << bare.error().message();
    auto full = parse_torrent(torrent(multi_info(), {{"announce", s("http://t/a")}}));
    ASSERT_TRUE(full);
    EXPECT_EQ(bare->info_hash, full->info_hash);
    EXPECT_EQ(bare->files.size(), 2u);
    EXPECT_EQ(bare->total_size, 31000);
    EXPECT_TRUE(bare->trackers.empty());
    EXPECT_EQ(parse_info("li1ee").error().code, Errc::not_a_dictionary);
    EXPECT_EQ(parse_info("d").error().code, Errc::malformed_bencode);
}

TEST(Metainfo, ErrorMessageIsCategoryThenDetail) {
    Dict info = multi_info();
    info["files"] = l({file(1000, {"a"}), file(-5, {"b"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_length);
    EXPECT_EQ(r.error().detail, "info.files[1].length: negative");
    EXPECT_EQ(r.error().message(), "invalid length: info.files[1].length: negative");
}

// ---- Refusals, table-driven ----

struct BadCase {
    const char* what;
    std::function<std::string()> bytes;
    Errc code;
    const char* detail;  // must appear in the error's detail
};

std::string with_info(const std::function<void(Dict&)>& edit, Dict base = multi_info()) {
    edit(base);
    return torrent(base);
}
std::string with_files(std::vector<std::string> files) {
    return with_info([&](Dict& info) { info["files"] = l(files); });
}

class MetainfoRejects : public testing::TestWithParam<BadCase> {};

TEST_P(MetainfoRejects, WithCodeAndFieldName) {
    const auto& c = GetParam();
    auto r = parse_torrent(c.bytes());
    ASSERT_FALSE(r) << c.what;
    EXPECT_EQ(r.error().code, c.code) << c.what << ": " << r.error().message();
    EXPECT_NE(r.error().detail.find(c.detail), std::string::npos) << c.what << ": " << r.error().message();
}

const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

INSTANTIATE_TEST_SUITE_P(
    Validation, MetainfoRejects,
    testing::Values(
        BadCase{"not bencode", [] { return std::string("d4:info"); }, Errc::malformed_bencode, "end"},
        BadCase{"a list", [] { return std::string("li1ee"); }, Errc::not_a_dictionary, ""},
        BadCase{"no info",
                [] {
                    return d({{"announce", s("x")}});
                },
                Errc::missing_info, "info: missing"},
        BadCase{"info a list",
                [] {
                    return d({{"info", "le"}});
                },
                Errc::missing_info, "info: not a dictionary"},
        // name
        BadCase{"no name", [] { return with_info([](Dict& x) { x.erase("name"); }); }, Errc::invalid_name,
                "info.name: missing"},
        BadCase{"name not a string", [] { return with_info([](Dict& x) { x["name"] = i(1); }); },
                Errc::invalid_name, "info.name: not a string"},
        // A single file needs a name (libtorrent: "missing name"); a multi-file torrent's folder does not.
        BadCase{"empty name", [] { return with_info([](Dict& x) { x["name"] = s(""); }, single_info()); },
                Errc::invalid_name, "info.name: empty"},
        BadCase{"name .", [] { return with_info([](Dict& x) { x["name"] = s("."); }, single_info()); },
                Errc::invalid_name, "info.name: nothing is left of '.'"},
        BadCase{"name ..", [] { return with_info([](Dict& x) { x["name"] = s(".."); }, single_info()); },
                Errc::invalid_name, "info.name: nothing is left of '..' once '.', '..' and '/' are dropped"},
        BadCase{"name.utf-8 ..",
                [] { return with_info([](Dict& x) { x["name.utf-8"] = s("/.."); }, single_info()); },
                Errc::invalid_name, "info.name.utf-8"},
        // piece length
        BadCase{"no piece length", [] { return with_info([](Dict& x) { x.erase("piece length"); }); },
                Errc::invalid_piece_length, "info.piece length: missing"},
        BadCase{"piece length string", [] { return with_info([](Dict& x) { x["piece length"] = s("16"); }); },
                Errc::invalid_piece_length, "not an integer"},
        BadCase{"piece length 0", [] { return with_info([](Dict& x) { x["piece length"] = i(0); }); },
                Errc::invalid_piece_length, "not a power of two"},
        BadCase{"piece length negative",
                [] { return with_info([](Dict& x) { x["piece length"] = i(-16384); }); },
                Errc::invalid_piece_length, "not a power of two"},
        BadCase{"piece length 20000", [] { return with_info([](Dict& x) { x["piece length"] = i(20000); }); },
                Errc::invalid_piece_length, "20000 is not a power of two"},
        BadCase{"piece length 8 KiB", [] { return with_info([](Dict& x) { x["piece length"] = i(8192); }); },
                Errc::invalid_piece_length, "below 16 KiB"},
        BadCase{"piece length 2 GiB",
                [] { return with_info([](Dict& x) { x["piece length"] = i(std::int64_t{1} << 31); }); },
                Errc::invalid_piece_length, "above 1 GiB"},
        // pieces
        BadCase{"no pieces", [] { return with_info([](Dict& x) { x.erase("pieces"); }); },
                Errc::invalid_pieces, "info.pieces: missing"},
        BadCase{"pieces integer", [] { return with_info([](Dict& x) { x["pieces"] = i(3); }); },
                Errc::invalid_pieces, "info.pieces: not a string"},
        BadCase{"pieces 41 bytes",
                [] { return with_info([](Dict& x) { x["pieces"] = s(hashes(2) + "x"); }); },
                Errc::invalid_pieces, "41 bytes is not a multiple of 20"},
        BadCase{"too many hashes", [] { return with_info([](Dict& x) { x["pieces"] = s(hashes(3)); }); },
                Errc::invalid_pieces, "3 hashes for 2 pieces"},
        BadCase{"too few hashes", [] { return with_info([](Dict& x) { x["pieces"] = s(hashes(1)); }); },
                Errc::invalid_pieces, "1 hashes for 2 pieces"},
        // files and lengths
        BadCase{"empty files", [] { return with_files({}); }, Errc::no_files, "info.files: empty list"},
        BadCase{"files a dict", [] { return with_info([](Dict& x) { x["files"] = d({}); }); },
                Errc::invalid_field, "info.files: not a list"},
        BadCase{"neither files nor length", [] { return with_info([](Dict& x) { x.erase("files"); }); },
                Errc::no_files, "neither 'files' nor 'length'"},
        BadCase{"file not a dict",
                [] {
                    return with_files({file(1, {"a"}), i(3)});
                },
                Errc::invalid_field, "info.files[1]: not a dictionary"},
        BadCase{"negative file length",
                [] {
                    return with_files({file(1, {"a"}), file(1, {"b"}), file(-1, {"c"})});
                },
                Errc::invalid_length, "info.files[2].length: negative"},
        BadCase{"missing file length",
                [] {
                    return with_files({d({{"path", path({"a"})}})});
                },
                Errc::invalid_length, "info.files[0].length: missing"},
        BadCase{"string file length",
                [] {
                    return with_files({d({{"length", s("1")}, {"path", path({"a"})}})});
                },
                Errc::invalid_length, "info.files[0].length: not an integer"},
        BadCase{"sum overflows",
                [] {
                    return with_files({file(kMax, {"a"}), file(1, {"b"})});
                },
                Errc::invalid_length, "info.files[1].length: total size overflows"},
        BadCase{"single-file negative",
                [] { return with_info([](Dict& x) { x["length"] = i(-1); }, single_info()); },
                Errc::invalid_length, "info.length: negative"},
        BadCase{"single-file zero",
                [] { return with_info([](Dict& x) { x["length"] = i(0); }, single_info()); },
                Errc::invalid_length, "total size is zero"},
        BadCase{"all files empty",
                [] {
                    return with_files({file(0, {"a"}), file(0, {"b"})});
                },
                Errc::invalid_length, "total size is zero"},
        // paths
        BadCase{"empty path list",
                [] {
                    return with_files({file(1, {"a"}), file(1, {})});
                },
                Errc::invalid_path, "info.files[1].path: empty list"},
        BadCase{"path not a list",
                [] {
                    return with_files({d({{"length", i(1)}, {"path", s("a")}})});
                },
                Errc::invalid_path, "info.files[0].path: not a list"},
        BadCase{"path element integer",
                [] {
                    return with_files({d({{"length", i(1)}, {"path", l({s("a"), i(1)})}})});
                },
                Errc::invalid_path, "info.files[0].path[1]: not a string"},
        BadCase{"path over 4096 bytes",
                [] { return with_files({file(1, std::vector<std::string>(17, std::string(250, 'a')))}); },
                Errc::invalid_path, "longer than 4096 bytes"},
        // BEP 52
        BadCase{"v2-only",
                [] {
                    return with_info([](Dict& x) {
                        x.erase("pieces");
                        x.erase("files");
                        x["meta version"] = i(2);
                        x["file tree"] = d({{"a", d({{"", d({{"length", i(5)}})}})}});
                    });
                },
                Errc::v2_only,
                "v2-only torrent (BEP 52) is not supported; a hybrid v1+v2 torrent would load"},
        BadCase{"pad file without a path is fine, another file is not",
                [] {
                    return with_files({d({{"length", i(1)}, {"attr", s("p")}}), d({{"length", i(1)}})});
                },
                Errc::invalid_path, "info.files[1].path: missing"}));

// ---- Accepted variations ----

TEST(Metainfo, HybridTorrentLoadsAsV1) {
    Dict info = multi_info();
    info["meta version"] = i(2);
    info["file tree"] = d({{"c.flac", d({{"", d({{"length", i(30000)}})}})}});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->hybrid);
    EXPECT_EQ(r->files.size(), 2u);
}

// As libtorrent: any integer but 0 (BEP 27 says 1); a string is ignored, with a note.
TEST(Metainfo, PrivateWhenTheFlagIsANonZeroInteger) {
    const std::vector<std::pair<std::string, bool>> cases = {
        {i(1), true}, {i(0), false}, {i(2), true}, {i(-1), true}, {s("1"), false}};
    for (const auto& [value, expected] : cases) {
        Dict info = multi_info();
        info["private"] = value;
        auto r = parse_torrent(torrent(info));
        ASSERT_TRUE(r) << value;
        EXPECT_EQ(r->is_private, expected) << value;
    }
    EXPECT_FALSE(parse_torrent(torrent(multi_info()))->is_private);
}

struct TrackerCase {
    const char* what;
    Dict root;
    std::vector<std::vector<std::string>> expected;
};

class MetainfoTrackers : public testing::TestWithParam<TrackerCase> {};

TEST_P(MetainfoTrackers, FollowBep12) {
    const auto& c = GetParam();
    auto r = parse_torrent(torrent(multi_info(), c.root));
    ASSERT_TRUE(r) << c.what << ": " << r.error().message();
    EXPECT_EQ(r->trackers, c.expected) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    AnnounceList, MetainfoTrackers,
    testing::Values(TrackerCase{"none", {}, {}},
                    TrackerCase{"announce only", {{"announce", s("http://a")}}, {{"http://a"}}},
                    TrackerCase{"empty announce", {{"announce", s("")}}, {}},
                    TrackerCase{
                        "announce-list wins",
                        {{"announce", s("http://x")},
                         {"announce-list", l({l({s("http://a"), s("http://b")}), l({s("udp://c")})})}},
                        {{"http://a", "http://b"}, {"udp://c"}}},
                    TrackerCase{"empty announce-list falls back",
                                {{"announce", s("http://x")}, {"announce-list", l({})}},
                                {{"http://x"}}},
                    TrackerCase{"only empty tiers fall back",
                                {{"announce", s("http://x")}, {"announce-list", l({l({}), l({s("")})})}},
                                {{"http://x"}}},
                    TrackerCase{"empties and duplicates dropped",
                                {{"announce-list", l({l({s(""), s("http://a")}), l({s("http://a")}),
                                                      l({s("http://b"), s("http://a"), s("http://b")})})}},
                                {{"http://a"}, {"http://b"}}}));

TEST(Metainfo, WebSeedsFromUrlListAndHttpSeeds) {
    auto one = parse_torrent(torrent(multi_info(), {{"url-list", s("http://w/")}}));
    ASSERT_TRUE(one);
    EXPECT_EQ(one->url_list, (std::vector<std::string>{"http://w/"}));
    auto many = parse_torrent(
        torrent(multi_info(), {{"url-list", l({s("http://a/"), s(""), s("http://b/"), s("http://a/")})},
                               {"httpseeds", l({s("http://h/seed")})}}));
    ASSERT_TRUE(many);
    EXPECT_EQ(many->url_list, (std::vector<std::string>{"http://a/", "http://b/"}));
    EXPECT_EQ(many->http_seeds, (std::vector<std::string>{"http://h/seed"}));
    auto empty = parse_torrent(torrent(multi_info(), {{"url-list", s("")}}));
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->url_list.empty());
}

TEST(Metainfo, PrefersUtf8VariantsOfNamePathAndComment) {
    Dict info = multi_info();
    info["name.utf-8"] = s("Album \xc3\xa9t\xc3\xa9");
    info["files"] =
        l({d({{"length", i(1000)}, {"path", path({"bad"})}, {"path.utf-8", path({"caf\xc3\xa9.txt"})}}),
           file(30000, {"c.flac"})});
    auto r = parse_torrent(torrent(info, {{"comment", s("plain")}, {"comment.utf-8", s("unicode")}}));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, "Album \xc3\xa9t\xc3\xa9");
    EXPECT_EQ(r->files[0].path, (std::vector<std::string>{"caf\xc3\xa9.txt"}));
    EXPECT_EQ(r->comment, "unicode");
}

TEST(Metainfo, SanitisesNameAndPathComponents) {
    Dict info = multi_info();
    info["name"] = s("a/b\\c");
    info["files"] =
        l({file(1000, {"", "x/y", ".", "..", "z\\w"}), file(30000, {std::string(300, 'q') + ".flac"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, "abc");
    EXPECT_EQ(r->files[0].path, (std::vector<std::string>{"_", "xy", "zw"}));
    EXPECT_EQ(r->files[1].path[0], std::string(240, 'q') + ".flac");
    ASSERT_EQ(r->notes.size(), 3u);
    EXPECT_EQ(r->notes[0].kind, Note::Kind::renamed);
    EXPECT_EQ(r->notes[0].field, "info.name");
    EXPECT_EQ(r->notes[0].text(), "renamed 'a/b\\c' to 'abc' (NUL, '/', '\\' or direction marks removed)");
    EXPECT_EQ(r->notes[1].field, "info.files[0].path");
    EXPECT_EQ(r->notes[1].from, "abc//x/y/./../z\\w");
    EXPECT_EQ(r->notes[1].to, "abc/_/xy/zw");
    EXPECT_EQ(
        r->notes[1].reason,
        "'..' dropped, '.' dropped, empty name replaced by '_', NUL, '/', '\\' or direction marks removed");
    EXPECT_EQ(r->notes[2].reason, "shortened");
}

// DIR/.bitveil holds the resume records of every torrent downloaded into DIR (storage/resume_store.hpp).
TEST(Metainfo, ATorrentNamedLikeTheResumeFolderIsRenamed) {
    Dict single = single_info();
    single["name"] = s(".bitveil");
    auto r = parse_torrent(torrent(single));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, ".bitveil_");
    EXPECT_EQ(r->files[0].path, (std::vector<std::string>{".bitveil_"}));
    EXPECT_EQ(r->info_hash.bytes, crypto::sha1(d(single))) << "the info-hash is of the bytes as sent";

    Dict multi = multi_info();
    multi["name"] = s(".BitVeil");  // case-insensitive file systems
    multi["files"] = l({file(1000, {".bitveil", "x.resume"}), file(30000, {"c.flac"})});
    r = parse_torrent(torrent(multi));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, ".BitVeil_");
    // Below the torrent's own folder the name is harmless and kept.
    EXPECT_EQ(r->files[0].path, (std::vector<std::string>{".bitveil", "x.resume"}));
}

TEST(Metainfo, UnderstandsPadFilesAndAttributes) {
    Dict info = multi_info();
    // 1000 + pad 15384 aligns c.flac to the second piece. Two pads of different sizes may not share a path
    // (libtorrent renames the second; they are never on disk anyway).
    info["files"] = l({file(1000, {"a"}, "x"), file(15384, {".pad", "15384"}, "p"), file(30000, {"c"}, "h"),
                       file(2000, {".pad", "15384"}, "p"), file(1, {"d"}, "xh")});
    info["pieces"] = s(hashes(3));
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->files.size(), 5u);
    EXPECT_TRUE(r->files[0].executable);
    EXPECT_FALSE(r->files[0].pad);
    EXPECT_TRUE(r->files[1].pad);
    EXPECT_EQ(r->files[1].path_string(), ".pad/15384");
    EXPECT_EQ(r->files[2].offset, kPiece);
    EXPECT_TRUE(r->files[2].hidden);
    EXPECT_FALSE(r->files[2].executable);
    EXPECT_TRUE(r->files[3].pad);
    EXPECT_EQ(r->files[3].path_string(), ".pad/15384.1");
    EXPECT_TRUE(r->files[4].executable && r->files[4].hidden);
    EXPECT_EQ(r->total_size, 1000 + 15384 + 30000 + 2000 + 1);
}

TEST(Metainfo, PadFilesOfOneSizeShareAPathAnotherIsRenamed) {
    Dict info = multi_info();
    info["files"] = l({file(1000, {"a"}), file(15384, {".pad", "x"}, "p"), file(15384, {".pad", "x"}, "p"),
                       file(15000, {"a"}, "p")});
    info["pieces"] = s(hashes(3));
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files[2].path_string(), ".pad/x");
    EXPECT_EQ(r->files[3].path_string(), "a.1") << "as libtorrent, though a pad file is never on disk";
}

TEST(Metainfo, APadFileNeedsNoPath) {
    Dict info = multi_info();
    info["files"] = l({file(1000, {"a"}), d({{"length", i(15384)}, {"attr", s("p")}}), file(15000, {"b"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->files[1].pad);
    EXPECT_EQ(r->files[1].path_string(), ".pad/15384");
    EXPECT_TRUE(r->notes.empty());
}

TEST(Metainfo, BitCometPaddingFilesArePadFiles) {
    Dict info = multi_info();
    info["files"] =
        l({file(1000, {"a"}), file(15384, {"_____padding_file_0_if you see this file"}), file(15000, {"b"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->files[1].pad);
    EXPECT_FALSE(r->files[2].pad);
}

TEST(Metainfo, SingleFileAttributesApply) {
    Dict info = single_info();
    info["attr"] = s("x");
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->files[0].executable);
}

// ---- Torrents from the wild, read as libtorrent 2.0.8 reads them (expected values checked with it) ----

std::vector<std::string> paths_of(const Metainfo& m) {
    std::vector<std::string> out;
    for (const auto& f : m.files) out.push_back(f.path_string());
    return out;
}

TEST(Metainfo, ParentElementsAreDroppedNeverFollowed) {
    Dict info = multi_info();
    info["files"] =
        l({file(1000, {"..", "..", "etc", "passwd"}), file(30000, {"a", "..", "..", "..", "x.txt"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(paths_of(*r), (std::vector<std::string>{"etc/passwd", "a/x.txt"}));
    ASSERT_EQ(r->notes.size(), 2u);
    EXPECT_EQ(r->notes[0].text(), "renamed 'album/../../etc/passwd' to 'album/etc/passwd' ('..' dropped)");
}

TEST(Metainfo, AMultiFileTorrentNamedDotDotIsNamedAfterItsInfoHash) {
    Dict info = multi_info();
    info["name"] = s("..");
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, r->info_hash.hex());
    ASSERT_EQ(r->notes.size(), 1u);
    EXPECT_EQ(r->notes[0].reason, "'..' dropped: named after the info-hash");
    info["name"] = s("");
    r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, "_");
}

TEST(Metainfo, DuplicatePathsGetNumberedNamesAsLibtorrent) {
    Dict info = multi_info();
    info["files"] =
        l({file(1000, {"a", "b.txt"}), file(1, {"c"}), file(1, {"a", "b.txt"}), file(1, {"A", "B.TXT"}),
           file(1, {"a"}), file(1, {".hidden"}), file(1, {".hidden"}), file(1, {"README"}),
           file(1, {"README"}), file(1, {"x.txt"}), file(1, {"x.1.txt"}), file(29990, {"x.txt"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(paths_of(*r),
              (std::vector<std::string>{"a/b.txt", "c", "a/b.1.txt", "A/B.2.TXT", "a.1", ".hidden",
                                        ".1.hidden", "README", "README.1", "x.txt", "x.1.txt", "x.2.txt"}));
    ASSERT_EQ(r->notes.size(), 6u);
    EXPECT_EQ(r->notes[0].kind, Note::Kind::duplicate);
    EXPECT_EQ(r->notes[0].text(),
              "renamed 'album/a/b.txt' to 'album/a/b.1.txt' (the same path as info.files[0])");
    EXPECT_EQ(
        r->notes[1].text(),
        "renamed 'album/A/B.TXT' to 'album/A/B.2.TXT' (the same path as info.files[0], but for letter case)");
    EXPECT_EQ(r->notes[2].text(), "renamed 'album/a' to 'album/a.1' (a folder of the torrent has that path)");
}

TEST(Metainfo, ManyCopiesOfOnePathAreRenamedInLinearTime) {
    std::vector<std::string> files;
    for (int n = 0; n < 20000; ++n) files.push_back(file(1, {"same.bin"}));
    Dict info = multi_info();
    info["files"] = l(files);
    info["pieces"] = s(hashes(2));
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files.back().path_string(), "same.19999.bin");
}

TEST(Metainfo, WrongTypedOptionalFieldsAreIgnored) {
    Dict info = multi_info();
    info["private"] = s("1");
    info["files"] = l({d({{"length", i(1000)}, {"path", path({"a"})}, {"attr", i(1)}}), file(30000, {"b"})});
    const std::string bytes =
        torrent(info, {{"announce", i(1)},
                       {"announce-list", l({s("x"), l({s(" http://a/announce"), i(1)}), l({l({})})})},
                       {"url-list", l({s("http://w/"), i(1), d({})})},
                       {"httpseeds", i(3)},
                       {"creation date", s("yesterday")},
                       {"comment", i(1)},
                       {"comment.utf-8", l({})},
                       {"created by", d({})}});
    auto r = parse_torrent(bytes);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->trackers, (std::vector<std::vector<std::string>>{{"http://a/announce"}}));
    EXPECT_EQ(r->url_list, (std::vector<std::string>{"http://w/"}));
    EXPECT_TRUE(r->http_seeds.empty());
    EXPECT_FALSE(r->creation_date);
    EXPECT_TRUE(r->comment.empty() && r->created_by.empty());
    EXPECT_FALSE(r->is_private);
    EXPECT_FALSE(r->files[0].executable);
    std::vector<std::string> ignored;
    for (const auto& n : r->notes) {
        EXPECT_EQ(n.kind, Note::Kind::field_ignored) << n.text();
        ignored.push_back(n.field);
    }
    EXPECT_EQ(ignored, (std::vector<std::string>{
                           "info.files[0].attr", "info.private", "announce", "announce-list[0]",
                           "announce-list[1][1]", "announce-list[2][0]", "url-list[1]", "url-list[2]",
                           "httpseeds", "creation date", "comment.utf-8", "comment", "created by"}));
    EXPECT_EQ(r->notes[0].text(), "ignored info.files[0].attr: not a string");

    auto negative =
        parse_torrent(torrent(multi_info(), {{"creation date", i(-5)}, {"announce-list", s("x")}}));
    ASSERT_TRUE(negative) << negative.error().message();
    EXPECT_FALSE(negative->creation_date);
    ASSERT_EQ(negative->notes.size(), 2u);
    EXPECT_EQ(negative->notes[0].text(), "ignored announce-list: not a list");
    EXPECT_EQ(negative->notes[1].text(), "ignored creation date: negative");
}

std::string link(const std::vector<std::string>& at, const std::vector<std::string>& target) {
    return d({{"length", i(0)}, {"path", path(at)}, {"attr", s("l")}, {"symlink path", path(target)}});
}

TEST(Metainfo, SymlinksAreKeptOnlyWhenTheirTargetIsInTheTorrent) {
    Dict info = multi_info();
    info["files"] =
        l({file(1000, {"dir", "f.txt"}), file(30000, {"dir", "sub", "g"}),
           link({"to_file"}, {"dir", "f.txt"}), link({"to_dir"}, {"dir", "sub"}),
           link({"dir", "beside"}, {"f.txt"}), link({"escape"}, {"..", "..", "etc", "passwd"}),
           d({{"length", i(0)}, {"path", path({"nowhere"})}, {"attr", s("l")}}),
           link({"through"}, {"to_dir", "g"}), link({"self"}, {"self"}), link({"loop1"}, {"loop2"}),
           link({"loop2"}, {"loop1"}), link({"to_skipped"}, {"escape"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    const auto target = [&](std::size_t k) { return r->files[k].symlink_target; };
    using V = std::vector<std::string>;
    EXPECT_EQ(target(2), (V{"dir", "f.txt"}));
    EXPECT_EQ(target(3), (V{"dir", "sub"}));
    EXPECT_EQ(target(4), (V{"dir", "f.txt"})) << "relative to the link's folder, rewritten from the root";
    EXPECT_TRUE(r->files[5].symlink && target(5).empty()) << "'..' dropped: etc/passwd is not in the torrent";
    EXPECT_FALSE(r->files[6].symlink) << "no 'symlink path': an empty file, as libtorrent";
    EXPECT_EQ(target(7), (V{"to_dir", "g"}));
    for (std::size_t k : {8u, 9u, 10u, 11u}) EXPECT_TRUE(target(k).empty()) << r->files[k].path_string();
    for (std::size_t k = 2; k < r->files.size(); ++k) EXPECT_EQ(r->files[k].length, 0);
    EXPECT_EQ(r->total_size, 31000);
    std::vector<std::string> notes;
    for (const auto& n : r->notes) notes.push_back(n.text());
    EXPECT_EQ(notes,
              (std::vector<std::string>{
                  "'album/nowhere' is marked as a link (no 'symlink path'): created as an empty file",
                  "skipped the link 'album/escape' to 'album/etc/passwd': its target is not a file or "
                  "folder of the torrent",
                  "skipped the link 'album/self' to 'album/self': its target is not a file or folder of the "
                  "torrent",
                  "skipped the link 'album/loop1' to 'album/loop2': its target is not a file or folder of "
                  "the torrent",
                  "skipped the link 'album/loop2' to 'album/loop1': its target is not a file or folder of "
                  "the torrent",
                  "skipped the link 'album/to_skipped' to 'album/escape': its target is not a file or folder "
                  "of the torrent"}));
}

TEST(Metainfo, ALinkTakesNoSpaceWhateverItsLengthSays) {
    Dict info = multi_info();
    info["files"] =
        l({file(1000, {"a"}),
           d({{"length", i(99999)}, {"path", path({"l"})}, {"attr", s("l")}, {"symlink path", path({"a"})}}),
           file(30000, {"b"})});
    auto r = parse_torrent(torrent(info));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->files[1].length, 0);
    EXPECT_EQ(r->files[2].offset, 1000);
}

// ---- Real-world torrents (not copied into the repo) ----

struct RealTorrent {
    const char* file;
    const char* name;
    const char* info_hash;
    std::size_t files;
    std::int64_t total_size;
    std::int64_t piece_length;
};

// BT_TORRENT_TESTDATA overrides; otherwise <source root>/../shared/testdata/torrents (tests/CMakeLists.txt).
std::filesystem::path real_torrent_dir() {
    if (const char* env = std::getenv("BT_TORRENT_TESTDATA")) return env;
    return std::filesystem::path(BT_SHARED_TEST_DATA_DIR) / "torrents";
}

class RealWorldTorrent : public testing::TestWithParam<RealTorrent> {};

// Expected values as reported by libtorrent 2.0.8 (python3-libtorrent).
TEST_P(RealWorldTorrent, MatchesLibtorrent) {
    const auto& c = GetParam();
    const auto file_path = real_torrent_dir() / c.file;
    if (!std::filesystem::exists(file_path)) {
        GTEST_SKIP() << file_path
                     << " is not available on this machine (the shared test data lives beside the "
                     << "repository, not in it; set BT_TORRENT_TESTDATA to its torrents folder)";
    }
    std::ifstream in(file_path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto r = parse_torrent(bytes);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, c.name);
    EXPECT_EQ(r->info_hash.hex(), c.info_hash);
    EXPECT_EQ(r->files.size(), c.files);
    EXPECT_EQ(r->total_size, c.total_size);
    EXPECT_EQ(r->piece_length, c.piece_length);
    EXPECT_TRUE(r->multi_file);
    EXPECT_EQ(r->trackers,
              (std::vector<std::vector<std::string>>{{"http://tracker.etree.org:6969/announce"}}));
}

INSTANTIATE_TEST_SUITE_P(
    Etree, RealWorldTorrent,
    testing::Values(RealTorrent{"gd1990-10-13.sbd.21971.shnf.torrent", "gd1990-10-13.sbd.21971.shnf",
                                "27924587eef1e178ad9418ad55c8cbb38d5cc1c3", 24, 809842583, 262144},
                    RealTorrent{"mmw2007-04-25ccm4.flac16.torrent", "mmw2007-04-25ccm4.flac16",
                                "264e2d4cfdc3d43eb6d47746c7d299967b578ca7", 19, 842896105, 524288},
                    RealTorrent{"ph1994-07-16.1925.shnf.torrent", "ph1994-07-16.1925.shnf",
                                "b859a989b0b301214c1c6afdab22f755a3235bbb", 30, 994009705, 1048576}));

}  // namespace
}  // namespace bt::metainfo
