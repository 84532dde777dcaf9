#include "storage/fd_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "storage/safe_path.hpp"
#include "storage/storage_error.hpp"

namespace bt::storage::detail {

std::error_code pwrite_all(int fd, const std::uint8_t* p, std::size_t n, std::int64_t off) {
    while (n > 0) {
        const ssize_t r = ::pwrite(fd, p, std::min(n, kMaxIoChunk), static_cast<off_t>(off));
        if (r < 0) {
            if (errno == EINTR) continue;
            return errno_code(errno);
        }
        if (r == 0) return errno_code(EIO);  // no progress and no error: do not spin
        p += r;
        n -= static_cast<std::size_t>(r);
        off += r;
    }
    return {};
}

std::error_code pread_all(int fd, std::uint8_t* p, std::size_t n, std::int64_t off) {
    while (n > 0) {
        const ssize_t r = ::pread(fd, p, std::min(n, kMaxIoChunk), static_cast<off_t>(off));
        if (r < 0) {
            if (errno == EINTR) continue;
            return errno_code(errno);
        }
        if (r == 0) return make_error_code(Errc::unexpected_eof);
        p += r;
        n -= static_cast<std::size_t>(r);
        off += r;
    }
    return {};
}

}  // namespace bt::storage::detail
