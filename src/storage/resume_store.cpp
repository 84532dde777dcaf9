#include "storage/resume_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "core/hex.hpp"
#include "crypto/sha1.hpp"
#include "metainfo/path_sanitizer.hpp"
#include "storage/atomic_file.hpp"

namespace bt::storage {
namespace {

static_assert(std::string_view(kLegacyResumeFolder) == metainfo::detail::kReservedRootName,
              "the folder the metainfo parser keeps torrents out of must be the legacy resume folder");

std::string parent_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string with_slash(std::string folder) {
    if (folder.empty()) folder = ".";
    if (folder.back() != '/') folder += '/';
    return folder;
}

// The download folder as an absolute path with symbolic links resolved (as far as it exists), so that
// "dl", "./dl/" and "/home/u/dl" name one record.
std::string absolute_folder(const std::string& download_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path path = fs::absolute(download_dir.empty() ? "." : download_dir, ec);
    if (ec) return download_dir;
    fs::path resolved = fs::weakly_canonical(path, ec);
    std::string out = (ec ? path.lexically_normal() : resolved).string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

bool is_real_folder(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string resume_path(const std::string& resume_dir, const std::string& download_dir,
                        const crypto::Sha1Digest& info_hash) {
    const std::string folder = absolute_folder(download_dir);
    const auto key = crypto::sha1(std::string_view(folder));
    return with_slash(resume_dir) + to_hex(info_hash) + "-" + to_hex(key).substr(0, 16) + ".resume";
}

std::string part_file_path(const std::string& resume_path) {
    if (resume_path.empty()) return {};
    const auto dot = resume_path.rfind('.');
    return resume_path.substr(0, dot) + ".parts";
}

std::string legacy_resume_path(const std::string& download_dir, const crypto::Sha1Digest& info_hash) {
    return with_slash(download_dir) + kLegacyResumeFolder + "/" + legacy_resume_name(info_hash);
}

std::string legacy_resume_name(const crypto::Sha1Digest& info_hash) {
    return to_hex(info_hash) + ".resume";
}

void adopt_legacy_resume(const std::string& download_dir, const crypto::Sha1Digest& info_hash,
                         const std::string& path, std::size_t max_size) {
    const std::string legacy = legacy_resume_path(download_dir, info_hash);
    const std::string folder = parent_of(legacy);
    if (!is_real_folder(folder)) return;  // absent (the usual case), or a link: never followed
    remove_stale_temporaries(legacy);
    struct stat st {};
    if (::lstat(legacy.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        if (::access(path.c_str(), F_OK) != 0) {
            auto bytes = read_file(legacy, max_size);
            if (!bytes && bytes.error().ec != std::errc::file_too_large) return;
            // A record too large to be this torrent's is dropped like one that does not decode.
            if (bytes) {
                if (auto made = ensure_directories(parent_of(path), 0700); !made) return;
                if (auto written = write_file_atomic(path, *bytes); !written) return;
            }
        }
        ::unlink(legacy.c_str());
    }
    ::rmdir(folder.c_str());  // only when empty: other torrents' records stay until they are adopted too
}

std::size_t max_resume_size(std::uint32_t num_pieces, std::size_t num_files) {
    // The bitfield, about 60 bytes per file ("d5:mtimei<20 digits>e4:sizei<19 digits>ee"), and the fixed
    // keys.
    return 4096 + (static_cast<std::size_t>(num_pieces) + 7) / 8 + 64 * num_files;
}

LoadedResume load_resume(const std::string& path, std::uint32_t num_pieces, std::size_t num_files) {
    LoadedResume out;
    auto bytes = read_file(path, max_resume_size(num_pieces, num_files));
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
    // 0700: the records list what the user downloads and where.
    if (auto made = ensure_directories(parent_of(path), 0700); !made) return made;
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
