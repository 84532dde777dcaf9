// Resume files are read from disk, where anything may have happened to them. Oracles: decoding never
// crashes or throws; whatever decodes re-encodes to something that decodes to an equal value; and the
// trust decision over the decoded data never trusts a piece the data does not list as verified, nor
// both trusts and rechecks a piece.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "storage/resume_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    bt::storage::ResumeLimits limits;
    limits.max_files = 4096;
    limits.max_pieces = 1u << 20;
    auto decoded = bt::storage::decode_resume(input, limits);
    if (!decoded) {
        if (decoded.error().message().empty()) std::abort();
        return 0;
    }
    auto again = bt::storage::decode_resume(bt::storage::encode_resume(*decoded), limits);
    if (!again || !(*again == *decoded)) std::abort();

    // A target shaped like the decoded data: one file per record, 16-byte pieces, each file 24 bytes (so
    // pieces span files), and the disk as recorded except every third file touched.
    const auto& d = *decoded;
    std::vector<bt::metainfo::FileEntry> files(d.files.size());
    std::vector<bt::storage::FileStamp> now(d.files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        files[i].length = 24;
        files[i].offset = static_cast<std::int64_t>(i) * 24;
        files[i].pad = i % 7 == 6;
        now[i] = d.files[i];
        if (i % 3 == 2) now[i].mtime_ns += 1;
    }
    bt::storage::ResumeTarget target{d.info_hash, 16, d.verified.size(), files};
    // The record's own boot, so that an unflushed record is planned like a flushed one.
    const auto plan = bt::storage::plan_resume(&d, target, now, d.unflushed_boot);
    if (plan.trusted.size() != d.verified.size() || plan.recheck.size() != d.verified.size()) std::abort();
    for (std::uint32_t p = 0; p < d.verified.size(); ++p) {
        const bt::PieceIndex piece{p};
        if (plan.trusted.test(piece) && (plan.recheck.test(piece) || !d.verified.test(piece))) std::abort();
    }
    return 0;
}
