#include "core/printable.hpp"

#include <algorithm>
#include <cstdint>

namespace bt {

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char b0 = byte(pos);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07u;
    } else {
        return 0;  // continuation byte, 0xC0/0xC1 (always overlong) or 0xF5..0xFF
    }
    if (text.size() - pos < len) return 0;
    for (std::size_t i = 1; i < len; ++i) {
        const unsigned char b = byte(pos + i);
        if ((b & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
    return len;
}

namespace {

// The length of the printable character at text[pos], or 0 when its first byte must be escaped.
std::size_t printable_length(std::string_view text, std::size_t pos) noexcept {
    const auto b0 = static_cast<unsigned char>(text[pos]);
    if (b0 < 0x20 || b0 == 0x7F) return 0;  // C0 controls and DEL
    const std::size_t len = utf8_sequence_length(text, pos);
    // C1 controls U+0080..U+009F are C2 80..C2 9F.
    if (len == 2 && b0 == 0xC2 && static_cast<unsigned char>(text[pos + 1]) < 0xA0) return 0;
    return len;
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::min(text.size(), max_bytes) + 3);
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t len = printable_length(text, i);
        if (std::max<std::size_t>(len, 1) > max_bytes - std::min(i, max_bytes)) {
            out += "...";
            break;
        }
        if (len == 0) {
            const auto b = static_cast<unsigned char>(text[i]);
            out += "\\x";
            out += kHex[b >> 4];
            out += kHex[b & 0xF];
            ++i;
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

}  // namespace bt
