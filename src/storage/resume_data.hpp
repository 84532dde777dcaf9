#pragma once
// Resume data: what a torrent remembers between runs so that a restart need not hash every piece again.
// Pure code: a model, its bencode form, and the decision which pieces to trust on start. Reading and
// writing the file is resume_store.hpp's job.
//
// What is recorded: the info-hash, the verified pieces, and for every file of the torrent (pad files
// included, in torrent order) whether it existed, its size and its mtime in nanoseconds, all taken when
// the data of every recorded piece was already written. Either that data was flushed (fdatasync) before
// the file was saved, or the record names the boot it was saved in (the kernel's boot_id): data written
// but not flushed is safe in the page cache for as long as the machine runs, so such a record is trusted
// only within that same boot. After a crash or power loss (a new boot) it is ignored and every piece
// touching an existing file is hashed, which finds whatever reached the disk.
//
// The file, a bencoded dictionary (canonical: sorted keys, no trailing data):
//   d 11:file-format 14:bitveil resume
//     12:file-version i1e
//     5:files l ( d 5:mtime i<ns>e 4:size i<bytes>e e | de ) ... e   -- 'de': the file did not exist
//     9:info-hash 20:<SHA-1 of the info dictionary>
//     10:num-pieces i<N>e
//     6:pieces <ceil(N/8) bytes: piece 0 is the high bit of byte 0, as in the wire BITFIELD; spare bits 0>
//     14:unflushed-boot <boot_id>   -- optional: the data was not flushed; valid only in this boot
//   e
//
// Trust rule (plan_resume). A file "matches" when it exists now with the recorded size and mtime: nothing
// has written to it since the record was taken. A piece is trusted as verified without hashing when the
// record says it was verified and every file it spans matches (and is, as recorded, long enough to hold
// the piece). Every piece touching a file that exists but does not match is hashed again: this is what
// recovers pieces written after the last save (kill -9, power loss), and what catches a file the user
// changed. Pieces touching a missing file are neither trusted nor hashed: they cannot be on disk. Pieces
// inside matching files that the record does not list are not hashed either: nothing wrote to those
// files since the record was taken, so those pieces are still as incomplete as they were.
// Resume data for another info-hash, another piece count or another file count is not used at all:
// every piece touching an existing file is hashed, as on a first start.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bitfield.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/sha1.hpp"
#include "metainfo/metainfo.hpp"

namespace bt::storage {

inline constexpr std::int64_t kResumeVersion = 1;
inline constexpr std::string_view kResumeFormat = "bitveil resume";
// A boot id is a 36-character UUID; anything longer than this is not one.
inline constexpr std::size_t kMaxBootIdLength = 64;

// One data file as seen on disk (now, or when resume data was recorded).
struct FileStamp {
    bool exists = false;
    std::int64_t size = 0;      // st_size; 0 when absent
    std::int64_t mtime_ns = 0;  // st_mtim in nanoseconds since the epoch; 0 when absent
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

struct ResumeData {
    crypto::Sha1Digest info_hash{};
    Bitfield verified;             // size() is the torrent's piece count
    std::vector<FileStamp> files;  // one per file of the torrent, pad files included, in torrent order
    std::string unflushed_boot;    // empty: the data was flushed before the record was saved
    friend bool operator==(const ResumeData&, const ResumeData&) = default;
};

enum class ResumeErrc : std::uint8_t {
    malformed_bencode = 1,  // not strict bencode
    not_a_dictionary,
    wrong_format,  // 'file-format' is not "bitveil resume"
    unsupported_version,
    missing_field,  // a required key is absent
    invalid_field,  // a value of the wrong type, size or range
    too_large,      // more files or pieces than the limits allow
};

struct ResumeError {
    ResumeErrc code = ResumeErrc::malformed_bencode;
    std::string detail;  // the field concerned, or the bencode error
    // e.g. "invalid field 'pieces': 3 bytes for 100 pieces"
    std::string message() const;
};

struct ResumeLimits {
    std::size_t max_files = std::size_t{1} << 20;
    std::uint32_t max_pieces = std::uint32_t{1} << 31;
};

// Canonical bencode of `data` (decode_resume gives it back unchanged).
std::string encode_resume(const ResumeData& data);
// Never throws; memory and time are bounded by the input size and `limits`.
Result<ResumeData, ResumeError> decode_resume(std::string_view bytes, const ResumeLimits& limits = {});

// The torrent resume data is checked against.
struct ResumeTarget {
    crypto::Sha1Digest info_hash{};
    std::int64_t piece_length = 0;
    std::uint32_t num_pieces = 0;
    std::span<const metainfo::FileEntry> files;  // torrent order, pad files included; offsets tile the data
};

enum class ResumeUse : std::uint8_t {
    absent,         // no resume data: every piece touching an existing file is hashed
    used,           // matching files are trusted, the others hashed
    other_torrent,  // recorded for another info-hash: ignored
    other_layout,   // another piece count or file count: ignored
    other_boot,     // saved unflushed before the machine restarted: ignored
};
const char* resume_use_name(ResumeUse use) noexcept;

struct ResumePlan {
    ResumeUse use = ResumeUse::absent;
    Bitfield trusted;  // verified without hashing
    Bitfield recheck;  // to hash now
    // Files present on disk that do not match the record (all present files without usable resume
    // data); pad and zero-length files are never listed.
    std::vector<FileIndex> changed_files;
};

// `on_disk` has one entry per target file (missing entries count as absent files). `resume` may be null.
// `boot` is the current boot_id (empty when unknown: then no unflushed record is trusted).
ResumePlan plan_resume(const ResumeData* resume, const ResumeTarget& target,
                       std::span<const FileStamp> on_disk, std::string_view boot);

}  // namespace bt::storage
