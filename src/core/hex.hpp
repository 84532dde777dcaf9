#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bt {

std::string to_hex(std::span<const std::uint8_t> bytes);
// Accepts upper and lower case; nullopt for odd length or a non-hex digit.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

// RFC 4648 base32 (upper or lower case, no padding expected); nullopt on an invalid digit or leftover bits.
std::optional<std::vector<std::uint8_t>> from_base32(std::string_view text);

}  // namespace bt
