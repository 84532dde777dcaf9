#include "storage/storage_error.hpp"

#include <cerrno>

#include "core/error_category.hpp"

namespace bt::storage {
namespace {

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::unexpected_eof:
            return "unexpected end of file";
        case Errc::out_of_range:
            return "range outside the torrent";
        case Errc::invalid_layout:
            return "inconsistent file layout";
        case Errc::invalid_path:
            return "unsafe path component";
        case Errc::symlink_refused:
            return "refusing to follow a symbolic link";
        case Errc::not_a_regular_file:
            return "not a regular file";
        case Errc::file_too_large:
            return "file too large";
        case Errc::skipped_file:
            return "the file is skipped: its data is not kept";
    }
    return nullptr;
}

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("bt.storage", describe, "unknown storage error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

const char* op_name(Op op) noexcept {
    switch (op) {
        case Op::open:
            return "open";
        case Op::read:
            return "read";
        case Op::write:
            return "write";
        case Op::mkdir:
            return "mkdir";
        case Op::truncate:
            return "truncate";
        case Op::stat:
            return "stat";
        case Op::sync:
            return "sync";
        case Op::rename:
            return "rename";
        case Op::remove:
            return "remove";
        case Op::symlink:
            return "symlink";
    }
    return "?";
}

std::string StorageError::message() const {
    std::string out = op_name(op);
    if (!file.empty()) {
        out += ' ';
        out += file;
    }
    out += ": ";
    out += ec.message();
    return out;
}

bool StorageError::is_disk_full() const noexcept {
    return ec == std::error_code(ENOSPC, std::system_category()) ||
           ec == std::error_code(EDQUOT, std::system_category());
}

}  // namespace bt::storage
