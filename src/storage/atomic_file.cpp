#include "storage/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <vector>

namespace bt::storage {
namespace {

constexpr std::string_view kTempInfix = ".tmp-";

std::error_code errno_code(int e) {
    return {e, std::system_category()};
}

// The folder part of `path` ("." when there is none) and the name part.
std::pair<std::string, std::string> split(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return {".", path};
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

int retry_close(int fd) {
    // Linux releases the descriptor even when close() fails with EINTR: never retry it.
    return ::close(fd);
}

std::error_code write_all(int fd, std::string_view data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_code(errno);
        }
        if (n == 0) return errno_code(EIO);
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return {};
}

std::error_code fsync_fd(int fd) {
    int r = 0;
    do r = ::fsync(fd);
    while (r != 0 && errno == EINTR);
    return r == 0 ? std::error_code{} : errno_code(errno);
}

}  // namespace

Result<void, StorageError> write_file_atomic(const std::string& path, std::string_view data,
                                             Durability durability) {
    return write_file_atomic(
        path, [data](const PartWriter& write) { write(data); }, durability);
}

Result<void, StorageError> write_file_atomic(const std::string& path,
                                             const std::function<void(const PartWriter&)>& produce,
                                             Durability durability) {
    const bool sync = durability == Durability::machine;
    std::string temp = path;
    temp += kTempInfix;
    temp += "XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return fail(StorageError{errno_code(errno), temp, Op::open});
    auto abandon = [&](std::error_code ec, Op op, const std::string& file) {
        ::unlink(temp.c_str());
        return fail(StorageError{ec, file, op});
    };
    ::fchmod(fd, 0644);  // mkostemp creates 0600; match the other files the user sees
    std::error_code write_error;
    try {
        produce([&](std::string_view part) {
            if (!write_error) write_error = write_all(fd, part);
        });
    } catch (...) {  // the producer failed (out of memory): no temporary left behind
        retry_close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    if (auto ec = write_error) {
        retry_close(fd);
        return abandon(ec, Op::write, temp);
    }
    if (auto ec = sync ? fsync_fd(fd) : std::error_code{}) {
        retry_close(fd);
        return abandon(ec, Op::sync, temp);
    }
    if (retry_close(fd) != 0 && errno != EINTR) return abandon(errno_code(errno), Op::write, temp);
    if (::rename(temp.c_str(), path.c_str()) != 0) return abandon(errno_code(errno), Op::rename, path);
    if (!sync) return {};
    const auto folder = split(path).first;
    const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return fail(StorageError{errno_code(errno), folder, Op::open});
    const auto ec = fsync_fd(dir);
    retry_close(dir);
    if (ec) return fail(StorageError{ec, folder, Op::sync});
    return {};
}

Result<std::string, StorageError> read_file(const std::string& path, std::size_t max_size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return fail(StorageError{errno_code(errno), path, Op::open});
    struct Closer {
        int fd;
        ~Closer() { retry_close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(StorageError{errno_code(errno), path, Op::stat});
    if (!S_ISREG(st.st_mode))
        return fail(StorageError{make_error_code(Errc::not_a_regular_file), path, Op::open});
    const auto too_large = [&] {
        return fail(StorageError{make_error_code(Errc::file_too_large), path, Op::read});
    };
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_size) return too_large();
    // Read until EOF (the file may change size meanwhile), never more than max_size + 1 bytes.
    std::string out(static_cast<std::size_t>(st.st_size) + 1, '\0');
    std::size_t got = 0;
    for (;;) {
        if (got == out.size()) {
            if (out.size() > max_size) return too_large();
            out.resize(std::min(max_size + 1, out.size() * 2));
        }
        const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(StorageError{errno_code(errno), path, Op::read});
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
}

Result<void, StorageError> ensure_directory(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0) return {};
    const int e = errno;
    struct stat st {};
    if (e == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return fail(StorageError{errno_code(e == EEXIST ? ENOTDIR : e), path, Op::mkdir});
}

Result<void, StorageError> ensure_directories(const std::string& path, unsigned mode) {
    // Each prefix ending before a '/' (the root and empty components need nothing), then the whole path.
    for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        const std::string prefix = path.substr(0, end);
        if (!prefix.empty() && prefix.back() != '/' && ::mkdir(prefix.c_str(), mode) != 0) {
            const int e = errno;
            struct stat st {};
            if (e != EEXIST || ::stat(prefix.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                return fail(StorageError{errno_code(e == EEXIST ? ENOTDIR : e), prefix, Op::mkdir});
        }
        if (end == std::string::npos) return {};
    }
}

std::size_t remove_stale_temporaries(const std::string& path) {
    const auto [folder, name] = split(path);
    const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return 0;
    const std::size_t removed = remove_stale_temporaries_at(dir, name);
    retry_close(dir);
    return removed;
}

std::size_t remove_stale_temporaries_in(const std::string& folder, std::chrono::seconds min_age) {
    DIR* listing = ::opendir(folder.c_str());
    if (listing == nullptr) return 0;
    std::vector<std::string> stale;
    while (const dirent* entry = ::readdir(listing)) {
        const std::string_view n(entry->d_name);
        // <name><kTempInfix><mkostemp's six characters>, with a name before the infix.
        const auto infix = n.size() > kTempInfix.size() + 6 ? n.rfind(kTempInfix) : std::string_view::npos;
        if (infix != std::string_view::npos && infix > 0 && infix + kTempInfix.size() + 6 == n.size())
            stale.emplace_back(n);
    }
    ::closedir(listing);
    std::size_t removed = 0;
    const auto now = ::time(nullptr);
    for (const auto& n : stale) {
        const auto path = folder + "/" + n;
        struct stat st {};
        if (min_age.count() > 0 && ::stat(path.c_str(), &st) == 0 && now - st.st_mtime < min_age.count())
            continue;
        if (::unlink(path.c_str()) == 0) ++removed;
    }
    return removed;
}

std::size_t remove_stale_temporaries_at(int dir, const std::string& name) {
    const std::string prefix = name + std::string(kTempInfix);
    // fdopendir takes the descriptor it is given: hand it a copy, the caller keeps `dir`.
    const int copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return 0;
    DIR* listing = ::fdopendir(copy);
    if (listing == nullptr) {
        retry_close(copy);
        return 0;
    }
    ::rewinddir(listing);  // the copy shares `dir`'s read position
    std::vector<std::string> stale;
    while (const dirent* entry = ::readdir(listing)) {
        const std::string_view n(entry->d_name);
        // mkostemp's suffix is exactly six characters.
        if (n.size() == prefix.size() + 6 && n.starts_with(prefix)) stale.emplace_back(n);
    }
    ::closedir(listing);
    std::size_t removed = 0;
    for (const auto& n : stale) {
        if (::unlinkat(dir, n.c_str(), 0) == 0) ++removed;
    }
    return removed;
}

}  // namespace bt::storage
