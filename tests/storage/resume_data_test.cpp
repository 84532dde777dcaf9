#include "storage/resume_data.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bencode/decode.hpp"

namespace bt::storage {
namespace {

crypto::Sha1Digest hash_of(std::uint8_t fill) {
    crypto::Sha1Digest h{};
    h.fill(fill);
    return h;
}

// "1010" -> a bitfield with pieces 0 and 2 set.
Bitfield bits(const std::string& pattern) {
    Bitfield b(static_cast<std::uint32_t>(pattern.size()));
    for (std::uint32_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '1') b.set(PieceIndex{i});
    }
    return b;
}

std::string pattern(const Bitfield& b) {
    std::string out;
    for (std::uint32_t i = 0; i < b.size(); ++i) out += b.test(PieceIndex{i}) ? '1' : '0';
    return out;
}

FileStamp stamp(std::int64_t size, std::int64_t mtime) {
    return FileStamp{true, size, mtime};
}

ResumeData sample() {
    ResumeData d;
    d.info_hash = hash_of(0xab);
    d.verified = bits("1011000001");
    d.files = {stamp(100, 1'700'000'000'123'456'789), FileStamp{}, stamp(0, -5)};
    return d;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

TEST(ResumeData, EncodesCanonicalBencodeWithTheDocumentedKeys) {
    ResumeData d;
    d.info_hash = hash_of('h');
    d.verified = bits("101");
    d.files = {stamp(7, 9), FileStamp{}};
    const std::string expected =
        "d11:file-format14:bitveil resume12:file-versioni1e5:filesld5:mtimei9e4:sizei7eedee"
        "9:info-hash20:hhhhhhhhhhhhhhhhhhhh10:num-piecesi3e6:pieces1:\xa0"
        "e";
    EXPECT_EQ(encode_resume(d), expected);
    EXPECT_TRUE(bencode::decode(expected)) << "must be strict bencode";
}

TEST(ResumeData, RoundTripsThroughDecode) {
    const std::vector<ResumeData> cases = [] {
        std::vector<ResumeData> v;
        v.push_back(sample());
        ResumeData empty;  // no pieces, no files
        v.push_back(empty);
        ResumeData all;
        all.info_hash = hash_of(1);
        all.verified = Bitfield(17, true);
        all.files = {stamp(1 << 30, 0)};
        v.push_back(all);
        ResumeData unflushed = sample();
        unflushed.unflushed_boot = "5d1c3e0a-93b2-4f7e-8a51-0c6f2d9b7e14";
        v.push_back(unflushed);
        return v;
    }();
    for (const auto& d : cases) {
        auto decoded = decode_resume(encode_resume(d));
        ASSERT_TRUE(decoded) << decoded.error().message();
        EXPECT_EQ(*decoded, d);
    }
}

TEST(ResumeData, AnUnflushedRecordNamesItsBootLast) {
    ResumeData d = sample();
    d.unflushed_boot = "boot-a";
    const std::string text = encode_resume(d);
    EXPECT_TRUE(text.ends_with("14:unflushed-boot6:boot-ae")) << text;
    EXPECT_TRUE(bencode::decode(text)) << "must be strict bencode";
}

TEST(ResumeData, UnknownKeysAreIgnored) {
    std::string text = encode_resume(sample());
    text.insert(text.size() - 1, "6:zz-newi1e");  // sorts last, before the final 'e'
    auto decoded = decode_resume(text);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(*decoded, sample());
}

// ---------------------------------------------------------------------------------------------------
// Bad input

std::string with_field(const std::string& key, const std::string& value_bencode) {
    // A valid document with one top-level value replaced (or added): built by hand, keys sorted.
    std::vector<std::pair<std::string, std::string>> fields = {
        {"file-format", "14:bitveil resume"},
        {"file-version", "i1e"},
        {"files", "ld5:mtimei1e4:sizei4eee"},
        {"info-hash", "20:" + std::string(20, 'x')},
        {"num-pieces", "i1e"},
        {"pieces", std::string("1:\x80")},
    };
    bool found = false;
    for (auto& [k, v] : fields) {
        if (k == key) {
            v = value_bencode;
            found = true;
        }
    }
    std::string out = "d";
    for (const auto& [k, v] : fields) {
        if (k == key && value_bencode.empty()) continue;  // removed
        out += std::to_string(k.size()) + ":" + k + v;
    }
    EXPECT_TRUE(found) << key;
    return out + "e";
}

TEST(ResumeData, HandBuiltDocumentDecodes) {
    auto d = decode_resume(with_field("files", "ld5:mtimei1e4:sizei4eee"));
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(pattern(d->verified), "1");
    ASSERT_EQ(d->files.size(), 1u);
    EXPECT_EQ(d->files[0], stamp(4, 1));
}

TEST(ResumeData, RejectsBadDocumentsWithAClearError) {
    struct Case {
        std::string name;
        std::string input;
        ResumeErrc code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"empty", "", ResumeErrc::malformed_bencode, "malformed bencode: "},
        {"garbage", "not bencode", ResumeErrc::malformed_bencode, "malformed bencode: "},
        {"list", "li1ee", ResumeErrc::not_a_dictionary, "not a dictionary"},
        {"unsorted", "d1:bi1e1:ai1ee", ResumeErrc::malformed_bencode, "malformed bencode: "},
        {"format", with_field("file-format", "7:torrent"), ResumeErrc::wrong_format,
         "not a bitveil resume file"},
        {"format type", with_field("file-format", "i1e"), ResumeErrc::invalid_field,
         "invalid field: file-format: not a string"},
        {"no format", with_field("file-format", ""), ResumeErrc::missing_field, "missing field: file-format"},
        {"version", with_field("file-version", "i2e"), ResumeErrc::unsupported_version,
         "unsupported version: 2"},
        {"no version", with_field("file-version", ""), ResumeErrc::missing_field,
         "missing field: file-version"},
        {"short hash", with_field("info-hash", "19:" + std::string(19, 'x')), ResumeErrc::invalid_field,
         "invalid field: info-hash: not 20 bytes"},
        {"no hash", with_field("info-hash", ""), ResumeErrc::missing_field, "missing field: info-hash"},
        {"negative count", with_field("num-pieces", "i-1e"), ResumeErrc::invalid_field,
         "invalid field: num-pieces: negative"},
        {"huge count", with_field("num-pieces", "i9999999999e"), ResumeErrc::too_large,
         "too large: num-pieces: 9999999999"},
        {"bitfield too long", with_field("num-pieces", "i0e"), ResumeErrc::invalid_field,
         "invalid field: pieces: 1 bytes for 0 pieces (or spare bits set)"},
        {"bitfield spare bits", with_field("pieces", "1:\xc0"), ResumeErrc::invalid_field,
         "invalid field: pieces: 1 bytes for 1 pieces (or spare bits set)"},
        {"no pieces", with_field("pieces", ""), ResumeErrc::missing_field, "missing field: pieces"},
        {"files not a list", with_field("files", "de"), ResumeErrc::invalid_field,
         "invalid field: files: not a list"},
        {"file not a dict", with_field("files", "li1ee"), ResumeErrc::invalid_field,
         "invalid field: files[0]: not a dict"},
        {"file without mtime", with_field("files", "ld4:sizei4eee"), ResumeErrc::invalid_field,
         "invalid field: files[0]: expected exactly 'size' and 'mtime'"},
        {"file with extra key", with_field("files", "ld5:mtimei1e4:sizei4e2:zzi0eee"),
         ResumeErrc::invalid_field, "invalid field: files[0]: expected exactly 'size' and 'mtime'"},
        {"negative size", with_field("files", "ld5:mtimei1e4:sizei-4eee"), ResumeErrc::invalid_field,
         "invalid field: files[0].size: not a non-negative integer"},
        {"string mtime", with_field("files", "ld5:mtime1:14:sizei4eee"), ResumeErrc::invalid_field,
         "invalid field: files[0].mtime: not an integer"},
        {"second file bad", with_field("files", "ldei7ee"), ResumeErrc::invalid_field,
         "invalid field: files[1]: not a dict"},
    };
    for (const auto& c : cases) {
        auto r = decode_resume(c.input);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message();
        EXPECT_TRUE(r.error().message().starts_with(c.message)) << c.name << ": " << r.error().message();
    }
}

TEST(ResumeData, AnUnflushedBootThatIsNoIdIsRejected) {
    for (const std::string& value : std::vector<std::string>{
             "i1e",
             "0:", std::to_string(kMaxBootIdLength + 1) + ":" + std::string(kMaxBootIdLength + 1, 'b')}) {
        std::string text = encode_resume(sample());
        text.insert(text.size() - 1, "14:unflushed-boot" + value);
        auto decoded = decode_resume(text);
        ASSERT_FALSE(decoded) << value;
        EXPECT_EQ(decoded.error().code, ResumeErrc::invalid_field) << value;
        EXPECT_NE(decoded.error().message().find("unflushed-boot"), std::string::npos) << value;
    }
}

TEST(ResumeData, EveryTruncationOfAValidFileIsRejected) {
    const std::string full = encode_resume(sample());
    for (std::size_t n = 0; n < full.size(); ++n) {
        EXPECT_FALSE(decode_resume(full.substr(0, n))) << "prefix of " << n << " bytes decoded";
    }
}

TEST(ResumeData, EverySingleByteCorruptionIsRejectedOrDecodesConsistently) {
    // Flipping one byte must never crash; when the result still decodes, it re-encodes to an equal value.
    const std::string full = encode_resume(sample());
    for (std::size_t i = 0; i < full.size(); ++i) {
        std::string bad = full;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        auto r = decode_resume(bad);
        if (!r) continue;
        auto again = decode_resume(encode_resume(*r));
        ASSERT_TRUE(again) << i;
        EXPECT_EQ(*again, *r) << i;
    }
}

TEST(ResumeData, LimitsBoundFilesAndPieces) {
    ResumeLimits limits;
    limits.max_files = 2;
    limits.max_pieces = 5;
    auto r = decode_resume(encode_resume(sample()), limits);  // 3 files, 10 pieces
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ResumeErrc::too_large);
    limits.max_files = 3;
    r = decode_resume(encode_resume(sample()), limits);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ResumeErrc::too_large);
    EXPECT_EQ(r.error().message(), "too large: num-pieces: 10");
    limits.max_pieces = 10;
    EXPECT_TRUE(decode_resume(encode_resume(sample()), limits));
}

// ---------------------------------------------------------------------------------------------------
// The trust decision

struct FileSpec {
    std::int64_t length;
    bool pad = false;
};

std::vector<metainfo::FileEntry> make_files(const std::vector<FileSpec>& specs) {
    std::vector<metainfo::FileEntry> files;
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        metainfo::FileEntry f;
        f.path = {"f" + std::to_string(i)};
        f.length = specs[i].length;
        f.offset = offset;
        f.pad = specs[i].pad;
        offset += f.length;
        files.push_back(f);
    }
    return files;
}

// Piece length 4; A = 6 bytes, B = 6 bytes, C = 4 bytes:
//   piece 0 = A[0,4)   piece 1 = A[4,6) + B[0,2)   piece 2 = B[2,6)   piece 3 = C[0,4)
const std::vector<FileSpec> kAbc = {{6}, {6}, {4}};
const std::vector<FileStamp> kAbcOnDisk = {stamp(6, 100), stamp(6, 200), stamp(4, 300)};

struct PlanCase {
    std::string name;
    std::vector<FileSpec> files;
    std::optional<ResumeData> resume;
    std::vector<FileStamp> on_disk;
    ResumeUse use;
    std::string trusted;
    std::string recheck;
    std::vector<std::uint32_t> changed;
};

ResumeData resume_for(const std::string& verified, std::vector<FileStamp> files, std::uint8_t hash = 7) {
    ResumeData d;
    d.info_hash = hash_of(hash);
    d.verified = bits(verified);
    d.files = std::move(files);
    return d;
}

ResumeData unflushed_in(std::string boot, ResumeData d) {
    d.unflushed_boot = std::move(boot);
    return d;
}

constexpr const char* kThisBoot = "boot-a";

TEST(PlanResume, TrustsOnlyPiecesWhoseFilesAreUnchanged) {
    const auto changed_b = std::vector<FileStamp>{stamp(6, 100), stamp(6, 201), stamp(4, 300)};
    const auto bigger_a = std::vector<FileStamp>{stamp(5, 100), stamp(6, 200), stamp(4, 300)};
    const std::vector<PlanCase> cases = {
        {"no resume data: hash everything",
         kAbc,
         std::nullopt,
         kAbcOnDisk,
         ResumeUse::absent,
         "0000",
         "1111",
         {0, 1, 2}},
        {"no resume data, B missing: skip B's pieces",
         kAbc,
         std::nullopt,
         {stamp(6, 100), FileStamp{}, stamp(4, 300)},
         ResumeUse::absent,
         "0000",
         "1001",
         {0, 2}},
        {"nothing on disk: nothing to do",
         kAbc,
         std::nullopt,
         {{}, {}, {}},
         ResumeUse::absent,
         "0000",
         "0000",
         {}},
        {"all unchanged, all verified",
         kAbc,
         resume_for("1111", kAbcOnDisk),
         kAbcOnDisk,
         ResumeUse::used,
         "1111",
         "0000",
         {}},
        {"all unchanged, some verified: the rest is not hashed",
         kAbc,
         resume_for("1010", kAbcOnDisk),
         kAbcOnDisk,
         ResumeUse::used,
         "1010",
         "0000",
         {}},
        {"B's mtime changed: pieces touching B are hashed",
         kAbc,
         resume_for("1111", kAbcOnDisk),
         changed_b,
         ResumeUse::used,
         "1001",
         "0110",
         {1}},
        {"B changed, pieces 1-2 not verified before: hashed anyway (written after the save)",
         kAbc,
         resume_for("1001", kAbcOnDisk),
         changed_b,
         ResumeUse::used,
         "1001",
         "0110",
         {1}},
        {"A's size changed",
         kAbc,
         resume_for("0111", {stamp(5, 100), stamp(6, 200), stamp(4, 300)}),
         {stamp(6, 100), stamp(6, 200), stamp(4, 300)},
         ResumeUse::used,
         "0011",
         "1100",
         {0}},
        {"A was absent when recorded, present now",
         kAbc,
         resume_for("0011", {{}, stamp(6, 200), stamp(4, 300)}),
         kAbcOnDisk,
         ResumeUse::used,
         "0011",
         "1100",
         {0}},
        {"C deleted since: its piece is neither trusted nor hashed",
         kAbc,
         resume_for("1111", kAbcOnDisk),
         {stamp(6, 100), stamp(6, 200), FileStamp{}},
         ResumeUse::used,
         "1110",
         "0000",
         {}},
        {"record claims a piece its file was too short for: hashed",
         kAbc,
         resume_for("1111", {stamp(5, 100), stamp(6, 200), stamp(4, 300)}),
         bigger_a,
         ResumeUse::used,
         "1011",
         "0100",
         {}},
        {"another info-hash: ignored",
         kAbc,
         resume_for("1111", kAbcOnDisk, 9),
         kAbcOnDisk,
         ResumeUse::other_torrent,
         "0000",
         "1111",
         {0, 1, 2}},
        {"another piece count: ignored",
         kAbc,
         resume_for("11111", kAbcOnDisk),
         kAbcOnDisk,
         ResumeUse::other_layout,
         "0000",
         "1111",
         {0, 1, 2}},
        {"another file count: ignored",
         kAbc,
         resume_for("1111", {stamp(6, 100), stamp(10, 200)}),
         kAbcOnDisk,
         ResumeUse::other_layout,
         "0000",
         "1111",
         {0, 1, 2}},
        // A = 3 bytes, pad = 1, an empty file, B = 4: piece 0 = A + pad, piece 1 = B.
        {"pad and empty files never need a match",
         {{3}, {1, true}, {0}, {4}},
         resume_for("11", {stamp(3, 1), {}, {}, stamp(4, 2)}),
         {stamp(3, 1), {}, {}, stamp(4, 2)},
         ResumeUse::used,
         "11",
         "00",
         {}},
        {"pad and empty files are never listed as changed",
         {{3}, {1, true}, {0}, {4}},
         std::nullopt,
         {stamp(3, 1), {}, {}, stamp(4, 2)},
         ResumeUse::absent,
         "00",
         "11",
         {0, 3}},
        {"unflushed in this boot: trusted like a flushed record",
         kAbc,
         unflushed_in(kThisBoot, resume_for("1111", kAbcOnDisk)),
         kAbcOnDisk,
         ResumeUse::used,
         "1111",
         "0000",
         {}},
        {"unflushed before the machine restarted: hash everything",
         kAbc,
         unflushed_in("boot-b", resume_for("1111", kAbcOnDisk)),
         kAbcOnDisk,
         ResumeUse::other_boot,
         "0000",
         "1111",
         {0, 1, 2}},
        {"missing on-disk entries count as absent",
         kAbc,
         resume_for("1111", kAbcOnDisk),
         {stamp(6, 100)},
         ResumeUse::used,
         "1000",
         "0000",
         {}},
    };
    for (const auto& c : cases) {
        const auto files = make_files(c.files);
        ResumeTarget target;
        target.info_hash = hash_of(7);
        target.piece_length = 4;
        target.num_pieces = static_cast<std::uint32_t>(c.trusted.size());
        target.files = files;
        const auto plan = plan_resume(c.resume ? &*c.resume : nullptr, target, c.on_disk, kThisBoot);
        EXPECT_EQ(plan.use, c.use) << c.name;
        EXPECT_EQ(pattern(plan.trusted), c.trusted) << c.name;
        EXPECT_EQ(pattern(plan.recheck), c.recheck) << c.name;
        std::vector<std::uint32_t> changed;
        for (auto f : plan.changed_files) changed.push_back(f.value);
        EXPECT_EQ(changed, c.changed) << c.name;
    }
}

TEST(PlanResume, AnUnknownBootTrustsNoUnflushedRecord) {
    const auto files = make_files(kAbc);
    const ResumeTarget target{hash_of(7), 4, 4, files};
    const auto flushed = resume_for("1111", kAbcOnDisk);
    EXPECT_EQ(plan_resume(&flushed, target, kAbcOnDisk, "").use, ResumeUse::used);
    const auto unflushed = unflushed_in(kThisBoot, flushed);
    const auto plan = plan_resume(&unflushed, target, kAbcOnDisk, "");
    EXPECT_EQ(plan.use, ResumeUse::other_boot);
    EXPECT_EQ(pattern(plan.recheck), "1111");
}

TEST(PlanResume, TrustedAndRecheckedNeverOverlap) {
    // Every combination of verified bits and per-file changes on the A/B/C layout.
    const auto files = make_files(kAbc);
    ResumeTarget target{hash_of(7), 4, 4, files};
    for (unsigned verified = 0; verified < 16; ++verified) {
        for (unsigned changed = 0; changed < 8; ++changed) {
            std::string v;
            for (unsigned i = 0; i < 4; ++i) v += (verified >> i & 1) ? '1' : '0';
            auto now = kAbcOnDisk;
            for (unsigned f = 0; f < 3; ++f) {
                if (changed >> f & 1) now[f].mtime_ns += 1;
            }
            const auto resume = resume_for(v, kAbcOnDisk);
            const auto plan = plan_resume(&resume, target, now, kThisBoot);
            for (std::uint32_t p = 0; p < 4; ++p) {
                const PieceIndex piece{p};
                EXPECT_FALSE(plan.trusted.test(piece) && plan.recheck.test(piece));
                EXPECT_TRUE(!plan.trusted.test(piece) || resume.verified.test(piece));
            }
        }
    }
}

}  // namespace
}  // namespace bt::storage
