#pragma once
// Whole-buffer pread/pwrite for the storage layer: loops over short transfers and EINTR.
#include <cstddef>
#include <cstdint>
#include <system_error>

namespace bt::storage::detail {

// Largest single pread/pwrite; Linux transfers at most 0x7ffff000 bytes per call anyway.
inline constexpr std::size_t kMaxIoChunk = std::size_t{1} << 30;

// Writes all `n` bytes at `offset`; errno as an error_code on failure (EIO when the system makes no
// progress).
std::error_code pwrite_all(int fd, const std::uint8_t* data, std::size_t n, std::int64_t offset);
// Reads all `n` bytes at `offset`; Errc::unexpected_eof when the file ends first.
std::error_code pread_all(int fd, std::uint8_t* data, std::size_t n, std::int64_t offset);

}  // namespace bt::storage::detail
