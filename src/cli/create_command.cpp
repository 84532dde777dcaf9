// bitveil create PATH [-o OUT.torrent] [--tracker URL]... [--piece-size BYTES] [--private] [--comment TEXT]
//                [--force] [--threads N] [--quiet]
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/file_walker.hpp"
#include "cli/progress.hpp"
#include "cli/text.hpp"
#include "cli/validators.hpp"
#include "http/url.hpp"
#include "metainfo/metainfo.hpp"
#include "metainfo/torrent_builder.hpp"
#include "storage/piece_hasher.hpp"
#include "tracker/url.hpp"

namespace bt::cli {

std::int64_t default_piece_length(std::int64_t total_size) noexcept {
    std::int64_t piece = kMinPieceLength;
    while (piece < kMaxDefaultPieceLength && (total_size + piece - 1) / piece > kTargetMaxPieces) piece *= 2;
    return piece;
}

bool is_valid_piece_length(std::int64_t piece_length) noexcept {
    return piece_length >= kMinPieceLength && piece_length <= kMaxPieceLength &&
           (piece_length & (piece_length - 1)) == 0;
}

std::string tracker_url_problem(std::string_view url) {
    const bool clean = std::none_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
    });
    if (!clean) return "a URL cannot hold spaces or control characters";
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) return "not a URL (scheme://host/...)";
    const std::string_view scheme = url.substr(0, sep);
    if (scheme == "http" || scheme == "https") {
        // The host and port as the HTTP client reads them (http/url.hpp), user information ("user:pass@")
        // aside: libcurl takes it.
        std::string plain = "http://" + std::string(url.substr(sep + 3));
        const std::size_t authority_end = std::min(plain.find_first_of("/?#", 7), plain.size());
        if (const std::size_t at = plain.rfind('@', authority_end); at != std::string::npos && at >= 7)
            plain.erase(7, at - 7 + 1);
        if (!http::parse_http_url(plain))
            return "no valid host (and port) after " + std::string(scheme) + "://";
        return {};
    }
    if (scheme == "udp") {
        if (!tracker::parse_udp_tracker_url(url))
            return "a UDP tracker needs a host and a port: udp://host:port/...";
        return {};
    }
    std::string lower(scheme);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "http" || lower == "https" || lower == "udp")
        return "write the scheme in lower case (" + lower + "://)";
    return "cannot announce to " + std::string(scheme) + ":// trackers (only http://, https:// and udp://)";
}

namespace {

struct CreateOptions {
    std::string path;
    std::string output;
    std::vector<std::string> trackers;
    std::string piece_size;
    bool is_private = false;
    std::string comment;
    bool force = false;
    unsigned threads = 0;
    bool quiet = false;
};

constexpr const char* kCreateFooter = R"(What goes in:
  PATH a file: a single-file torrent named after the file.
  PATH a folder: a multi-file torrent named after the folder, with every file below it, hidden files
  and empty files included; empty folders cannot be stored in a torrent. Files are ordered depth
  first, each folder's entries sorted as byte strings (so paths sort component by component: a/b,
  a.txt, b), the canonical order libtorrent uses. Symbolic links are followed (a link to a file adds
  the file under the link's name); a broken link, a link loop, a FIFO, socket or device is an error.
  The torrent is v1 (BEP 3) without pad files; "created by" is bitveil/VERSION and "creation date" is
  now (or $SOURCE_DATE_EPOCH when set).

Piece size: by default the smallest power of two from 16 KiB to 16 MiB that gives at most 2000
pieces. --piece-size takes bytes, optionally with K/M/G (KiB, MiB, GiB): a power of two from 16 KiB
to 128 MiB.

Output: written to a temporary file in the same folder, then renamed; an existing file is kept unless
--force is given. Progress goes to stderr when it is a terminal.
Exit status: 0 ok, 1 read or write error, 2 invalid input (bad PATH or option, OUT exists).

Examples:
  bitveil create ~/photos --tracker udp://tracker.example:6969/announce
  bitveil create movie.mkv -o /tmp/movie.torrent --piece-size 4M --private
  bitveil create dir --tracker http://a.example/announce --tracker http://b.example/announce
)";

std::int64_t creation_time() {
    if (const char* env = std::getenv("SOURCE_DATE_EPOCH"); env != nullptr && *env != '\0') {
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(env, &end, 10);
        if (errno == 0 && *end == '\0' && v >= 0) return v;
    }
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

struct WriteFailure {
    std::string message;
    bool exists = false;  // `out` exists and overwriting was not allowed: a usage error, not an I/O one
};

// Writes `bytes` to a temporary file next to `out`, then renames it over `out` (or, without
// `overwrite`, only if `out` still does not exist).
Result<void, WriteFailure> write_atomically(const std::string& out, std::string_view bytes, bool overwrite) {
    const auto slash = out.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : out.substr(0, slash));
    const std::string base = slash == std::string::npos ? out : out.substr(slash + 1);
    std::string tmp = dir + "/." + base + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0)
        return fail(WriteFailure{"cannot create a temporary file in " + dir + ": " + errno_text(errno)});
    const auto discard = [&](std::string message) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return fail(WriteFailure{std::move(message)});
    };
    const mode_t mask = ::umask(0);  // mkstemp makes 0600; give the usual 0666 & ~umask
    ::umask(mask);
    if (::fchmod(fd, 0666 & ~mask) != 0) return discard("chmod " + tmp + ": " + errno_text(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return discard("write " + tmp + ": " + errno_text(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return discard("fsync " + tmp + ": " + errno_text(errno));
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return fail(WriteFailure{"close " + tmp + ": " + errno_text(errno)});
    }
    int rc = 0;
    if (overwrite) {
        rc = ::rename(tmp.c_str(), out.c_str());
    } else {
        rc = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {  // file system without RENAME_NOREPLACE
            rc = ::link(tmp.c_str(), out.c_str());
            if (rc == 0) ::unlink(tmp.c_str());
        }
    }
    if (rc != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        if (err == EEXIST) return fail(WriteFailure{"already exists (use --force to overwrite)", true});
        return fail(WriteFailure{"rename to " + out + ": " + errno_text(err)});
    }
    return {};
}

int run_create(const CreateOptions& opt) {
    // Options first, so that a typo fails before a long hash.
    std::int64_t piece_length = 0;
    if (!opt.piece_size.empty()) {
        const auto parsed = parse_size(opt.piece_size);
        if (!parsed || !is_valid_piece_length(*parsed)) {
            report_error("--piece-size",
                         fmt::format("'{}' is not a power of two from 16 KiB to 128 MiB", opt.piece_size));
            return kExitInvalid;
        }
        piece_length = *parsed;
    }
    for (const auto& url : opt.trackers) {
        if (const auto problem = tracker_url_problem(url); !problem.empty()) {
            report_error("--tracker " + url, problem);
            return kExitInvalid;
        }
    }

    auto tree = find_files(opt.path);
    if (!tree) {
        report_error(tree.error().path, tree.error().message);
        return kExitInvalid;
    }
    if (tree->files.empty()) {
        report_error(opt.path, "no files to put in a torrent (the folder is empty)");
        return kExitInvalid;
    }
    std::int64_t total = 0;
    for (const auto& f : tree->files) total += f.length;
    if (total == 0) {
        report_error(opt.path, "no data to put in a torrent (every file is empty)");
        return kExitInvalid;
    }
    if (piece_length == 0) piece_length = default_piece_length(total);

    const std::string out = opt.output.empty() ? tree->name + ".torrent" : opt.output;
    struct stat out_st {};
    if (::stat(out.c_str(), &out_st) == 0) {
        if (S_ISDIR(out_st.st_mode)) {
            report_error(out, "is a folder; give the output file's name with -o");
            return kExitInvalid;
        }
        if (!opt.force) {
            report_error(out, "already exists (use --force to overwrite)");
            return kExitInvalid;
        }
        for (const auto& f : tree->files) {
            if (f.device == out_st.st_dev && f.inode == out_st.st_ino) {
                report_error(out, "the output file is one of the files being hashed");
                return kExitInvalid;
            }
        }
    }

    std::vector<storage::HashSource> sources;
    sources.reserve(tree->files.size());
    for (const auto& f : tree->files) sources.push_back({f.disk_path, f.length, false});
    storage::HashOptions hash_opt;
    hash_opt.threads = opt.threads;
    ProgressLine progress(stderr, !opt.quiet && ProgressLine::is_terminal(stderr), "hashing", total);
    hash_opt.on_progress = [&progress](std::int64_t done) { progress.update(done); };
    auto report = storage::hash_pieces(sources, piece_length, hash_opt);
    progress.finish();
    if (!report) {
        report_error(opt.path, report.error().message());
        return kExitFailure;
    }
    if (!report->complete()) {
        if (!report->errors.empty()) {
            const auto& e = report->errors.front().error;
            report_error(e.file, fmt::format("{}: {} (did the file change while hashing?)",
                                             storage::op_name(e.op), e.ec.message()));
        } else {
            report_error(opt.path, "some pieces could not be hashed");
        }
        return kExitFailure;
    }

    metainfo::TorrentSpec spec;
    spec.name = tree->name;
    for (auto& f : tree->files) spec.files.push_back({std::move(f.path), f.length});
    spec.piece_length = piece_length;
    spec.piece_hashes.reserve(report->pieces.size());
    for (const auto& p : report->pieces) spec.piece_hashes.push_back(*p);
    for (const auto& url : opt.trackers) spec.trackers.push_back({url});
    spec.is_private = opt.is_private;
    spec.comment = opt.comment;
    spec.created_by = fmt::format("bitveil/{}", kVersion);
    spec.creation_date = creation_time();
    auto bytes = metainfo::build_torrent(spec);
    if (!bytes) {
        report_error(opt.path, bytes.error().message());
        return kExitInvalid;
    }
    // Read our own output back: it checks the encoding and gives the info-hash to print.
    const auto parsed = metainfo::parse_torrent(*bytes);
    if (!parsed) {
        report_error(opt.path,
                     "internal error, the torrent does not parse back: " + parsed.error().message());
        return kExitFailure;
    }
    if (auto written = write_atomically(out, *bytes, opt.force); !written) {
        report_error(out, written.error().message);
        return written.error().exists ? kExitInvalid : kExitFailure;
    }

    if (!opt.quiet) {
        fmt::print("created {}\n", printable(out));
        fmt::print("  name:       {}\n", printable(tree->name));
        fmt::print("  files:      {}, {} ({} bytes)\n", spec.files.size(), human_size(total), total);
        fmt::print("  pieces:     {} x {}\n", spec.piece_hashes.size(), human_size(piece_length));
        fmt::print("  info hash:  {}\n", parsed->info_hash.hex());
    }
    return kExitOk;
}

}  // namespace

void add_create_command(CLI::App& app, int& status) {
    auto opt = std::make_shared<CreateOptions>();
    CLI::App* cmd = app.add_subcommand("create", "Make a .torrent from a file or a folder");
    cmd->add_option("path", opt->path, "the file or folder to share")
        ->required()
        ->check(not_empty("a file or folder"));
    cmd->add_option("-o,--output", opt->output, "where to write the .torrent (default: ./<name>.torrent)");
    cmd->add_option(
           "-t,--tracker", opt->trackers,
           "announce URL (http://, https:// or udp://host:port); repeat for more trackers, each becomes its "
           "own tier (the first is 'announce')")
        ->allow_extra_args(false);  // one URL per -t: PATH may follow
    cmd->add_option("--piece-size", opt->piece_size,
                    "piece length in bytes, e.g. 262144, 256K, 4M (default: automatic)")
        ->check(piece_size());
    cmd->add_flag("--private", opt->is_private,
                  "set the BEP 27 private flag (no DHT, PEX or local discovery)");
    cmd->add_option("--comment", opt->comment, "free text stored in the torrent");
    cmd->add_flag("-f,--force", opt->force, "overwrite the output file if it exists");
    cmd->add_option("--threads", opt->threads, "hashing threads (default: all cores)")
        ->check(whole_number(1, 1024));
    cmd->add_flag("-q,--quiet", opt->quiet, "print nothing but errors");
    cmd->footer(kCreateFooter);
    cmd->callback([opt, &status] { status = run_create(*opt); });
}

}  // namespace bt::cli
