#include "cli/common.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/text.hpp"

namespace bt::cli {

void report_error(std::string_view subject, std::string_view message) {
    if (subject.empty()) {
        fmt::print(stderr, "bitveil: {}\n", printable(message));
    } else {
        fmt::print(stderr, "bitveil: {}: {}\n", printable(subject), printable(message));
    }
}

Result<std::string, std::string> read_torrent_file(const std::string& path) {
    struct Fd {
        int fd;
        ~Fd() {
            if (fd >= 0) ::close(fd);
        }
    } const guard{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    const int fd = guard.fd;
    if (fd < 0) return fail(std::generic_category().message(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(std::generic_category().message(errno));
    if (S_ISDIR(st.st_mode)) return fail(std::string("is a folder, not a .torrent file"));
    if (S_ISREG(st.st_mode) && st.st_size > kMaxTorrentFileBytes) {
        return fail(fmt::format("file too large for a .torrent ({}; the limit is {})", human_size(st.st_size),
                                human_size(kMaxTorrentFileBytes)));
    }
    std::string data;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(std::generic_category().message(errno));
        }
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (static_cast<std::int64_t>(data.size()) > kMaxTorrentFileBytes) {  // pipes, growing files
            return fail(fmt::format("file too large for a .torrent (the limit is {})",
                                    human_size(kMaxTorrentFileBytes)));
        }
    }
    return data;
}

}  // namespace bt::cli
