#include "storage/resume_store.hpp"

#include <fstream>
#include <string_view>

#include "core/hex.hpp"
#include "metainfo/path_sanitizer.hpp"
#include "storage/atomic_file.hpp"

namespace bt::storage {
namespace {

static_assert(std::string_view(kResumeFolder) == metainfo::detail::kReservedRootName,
              "the folder the metainfo parser keeps torrents out of must be the resume folder");

std::string parent_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

std::string resume_path(const std::string& download_dir, const crypto::Sha1Digest& info_hash) {
    std::string path = download_dir.empty() ? std::string(".") : download_dir;
    if (path.back() != '/') path += '/';
    path += kResumeFolder;
    path += '/';
    path += resume_file_name(info_hash);
    return path;
}

std::string resume_file_name(const crypto::Sha1Digest& info_hash) {
    return to_hex(info_hash) + ".resume";
}

LoadedResume load_resume(const std::string& path, std::uint32_t num_pieces, std::size_t num_files) {
    LoadedResume out;
    remove_stale_temporaries(path);
    // The largest file a torrent of this shape can have: the bitfield, about 60 bytes per file
    // ("d5:mtimei<20 digits>e4:sizei<19 digits>ee"), and the fixed keys.
    const std::size_t max_size = 4096 + (static_cast<std::size_t>(num_pieces) + 7) / 8 + 64 * num_files;
    auto bytes = read_file(path, max_size);
    if (!bytes) {
        if (bytes.error().ec != std::errc::no_such_file_or_directory) out.problem = bytes.error().message();
        return out;
    }
    // Default limits: the size bound above already bounds the work, and data recorded for another torrent
    // shape should decode, so that plan_resume() can say so.
    auto decoded = decode_resume(*bytes);
    if (!decoded) {
        out.problem = path + ": " + decoded.error().message();
        return out;
    }
    out.data = std::move(*decoded);
    return out;
}

Result<void, StorageError> save_resume(const std::string& path, const ResumeData& data) {
    if (auto made = ensure_directory(parent_of(path)); !made) return made;
    // A record of unflushed data is void after a crash of the machine anyway (resume_data.hpp), so it
    // need not outlive one, and skipping the fsync spares a flush of everything the disk holds.
    const auto durability = data.unflushed_boot.empty() ? Durability::machine : Durability::process;
    return write_file_atomic(path, encode_resume(data), durability);
}

std::string current_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    if (!std::getline(in, id) || id.size() > kMaxBootIdLength) return {};
    return id;
}

std::vector<FileStamp> to_stamps(const std::vector<FileStatus>& status) {
    std::vector<FileStamp> out;
    out.reserve(status.size());
    for (const auto& s : status) {
        out.push_back(s.exists ? FileStamp{true, s.size, s.mtime_ns} : FileStamp{});
    }
    return out;
}

}  // namespace bt::storage
