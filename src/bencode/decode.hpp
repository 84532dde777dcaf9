#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "bencode/value.hpp"
#include "core/result.hpp"

namespace bt::bencode {

enum class Errc : std::uint8_t {
    unexpected_end = 1,
    invalid_character,
    leading_zero,
    negative_zero,
    empty_integer,
    integer_overflow,
    string_too_long,
    depth_exceeded,
    too_many_values,
    non_string_key,
    unsorted_keys,
    duplicate_key,
    trailing_data,
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

struct DecodeError {
    Errc code;
    std::size_t offset;  // byte offset in the input where the problem was found
    // e.g. "leading zero in integer at byte 12"
    std::string message() const;
};

struct Limits {
    // Nesting depth and value count bound the decoder's stack and memory whatever the input says.
    std::size_t max_depth = 100;
    std::size_t max_values = 4'000'000;
    // BEP 3 requires sorted keys; some old .torrent files break that rule. Duplicate keys are
    // always refused, since they make a dictionary ambiguous.
    bool allow_unsorted_keys = false;
};

// Decodes exactly one value that must span the whole input.
Result<Value, DecodeError> decode(std::string_view input, const Limits& limits = {});

// Decodes the one value the input starts with; what follows it is the caller's (BEP 9 appends a metadata
// piece to its dictionary).
struct Prefix {
    Value value;
    std::size_t length = 0;  // bytes of the input the value spans
};
Result<Prefix, DecodeError> decode_prefix(std::string_view input, const Limits& limits = {});

}  // namespace bt::bencode

template <>
struct std::is_error_code_enum<bt::bencode::Errc> : std::true_type {};
