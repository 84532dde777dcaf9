#include "mse/incoming.hpp"

#include <algorithm>

namespace bt::mse {

IncomingKind classify_incoming(std::span<const std::uint8_t> first_bytes) noexcept {
    const std::size_t n = std::min(first_bytes.size(), kPlainHeader.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (first_bytes[i] != static_cast<std::uint8_t>(kPlainHeader[i])) return IncomingKind::encrypted;
    }
    return n == kPlainHeader.size() ? IncomingKind::plaintext : IncomingKind::need_more;
}

}  // namespace bt::mse
