#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace bt {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::int8_t kInvalid = -1;
constexpr std::int8_t kSkip = -2;
constexpr std::int8_t kPad = -3;

constexpr std::array<std::int8_t, 256> make_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& entry : table) entry = kInvalid;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    for (const char c : std::string_view(" \t\r\n")) table[static_cast<unsigned char>(c)] = kSkip;
    table['='] = kPad;
    return table;
}

constexpr auto kTable = make_table();

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t bits = 0;
    int digits = 0;   // of the current group of four
    int padding = 0;  // '=' seen; only more '=' and whitespace may follow
    for (const char c : text) {
        const auto value = kTable[static_cast<unsigned char>(c)];
        if (value == kSkip) continue;
        if (value == kInvalid) return std::nullopt;
        if (value == kPad) {
            // "xx==" or "xxx=": padding only completes a group of two or three digits.
            if (digits + padding < 2) return std::nullopt;
            if (++padding + digits > 4) return std::nullopt;
            continue;
        }
        if (padding > 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        if (++digits == 4) {
            out.push_back(static_cast<char>((bits >> 16) & 0xff));
            out.push_back(static_cast<char>((bits >> 8) & 0xff));
            out.push_back(static_cast<char>(bits & 0xff));
            bits = 0;
            digits = 0;
        }
    }
    if (padding > 0 && digits + padding != 4) return std::nullopt;
    switch (digits) {
        case 0:
            break;
        case 1:
            return std::nullopt;  // six bits cannot make a byte
        case 2:
            if ((bits & 0xf) != 0) return std::nullopt;  // leftover bits must be zero (RFC 4648 §3.5)
            out.push_back(static_cast<char>((bits >> 4) & 0xff));
            break;
        case 3:
            if ((bits & 0x3) != 0) return std::nullopt;
            out.push_back(static_cast<char>((bits >> 10) & 0xff));
            out.push_back(static_cast<char>((bits >> 2) & 0xff));
            break;
        default:
            break;
    }
    return out;
}

std::string encode_base64(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                    (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                                    std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
        for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(group >> shift) & 0x3f];
    }
    if (const auto rest = bytes.size() - i; rest > 0) {
        std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
        if (rest == 2) group |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
        out += kAlphabet[(group >> 18) & 0x3f];
        out += kAlphabet[(group >> 12) & 0x3f];
        out += rest == 2 ? kAlphabet[(group >> 6) & 0x3f] : '=';
        out += '=';
    }
    return out;
}

}  // namespace bt
