// parse_torrent must never crash or throw; whatever it accepts must satisfy Metainfo's invariants.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/sha1.hpp"
#include "metainfo/metainfo.hpp"

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void check_invariants(const bt::metainfo::Metainfo& m) {
    check(!m.files.empty());
    check(m.total_size > 0);
    check(m.piece_length >= 16 * 1024 && (m.piece_length & (m.piece_length - 1)) == 0);
    check(m.info_hash.bytes == bt::crypto::sha1(m.info_bytes));
    check(!m.name.empty() && m.name != "." && m.name != ".." && m.name.size() <= 255);
    std::int64_t offset = 0;
    for (const auto& f : m.files) {
        check(f.length >= 0);
        check(f.offset == offset);
        offset += f.length;
        check(!f.path.empty());
        for (const auto& c : f.path) {
            check(!c.empty() && c != "." && c != ".." && c.size() <= 255);
            check(c.find('/') == std::string::npos && c.find('\\') == std::string::npos);
            check(c.find('\0') == std::string::npos);
        }
    }
    check(offset == m.total_size);
    check(m.multi_file ||
          (m.files.size() == 1 && m.files[0].path.size() == 1 && m.files[0].path[0] == m.name));
    const std::int64_t pieces = m.total_size / m.piece_length + (m.total_size % m.piece_length != 0 ? 1 : 0);
    check(static_cast<std::int64_t>(m.num_pieces()) == pieces);
    std::int64_t sum = 0;
    for (std::uint32_t i = 0; i < m.num_pieces(); ++i) {
        const auto size = m.piece_size(i);
        check(size > 0 && size <= m.piece_length);
        sum += size;
    }
    check(sum == m.total_size);
    for (const auto& tier : m.trackers) {
        check(!tier.empty());
        for (const auto& url : tier) check(!url.empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = bt::metainfo::parse_torrent(input);
    if (!parsed) {
        check(!parsed.error().message().empty());
        return 0;
    }
    check_invariants(*parsed);
    // The info dictionary alone must load to the same content.
    auto again = bt::metainfo::parse_info(parsed->info_bytes);
    check(again.has_value());
    check(again->info_hash == parsed->info_hash && again->files.size() == parsed->files.size());
    return 0;
}
