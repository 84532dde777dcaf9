#include "mse/keys.hpp"

#include <string_view>

namespace bt::mse {
namespace {

Sha1Digest hash2(std::string_view tag, std::span<const std::uint8_t> a) {
    crypto::Sha1 h;
    h.update(tag);
    h.update(a);
    return h.finish();
}

Sha1Digest hash3(std::string_view tag, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    crypto::Sha1 h;
    h.update(tag);
    h.update(a);
    h.update(b);
    return h.finish();
}

}  // namespace

Sha1Digest req1_hash(std::span<const std::uint8_t, kKeySize> s) {
    return hash2("req1", s);
}
Sha1Digest req2_hash(const Skey& skey) {
    return hash2("req2", skey);
}
Sha1Digest req3_hash(std::span<const std::uint8_t, kKeySize> s) {
    return hash2("req3", s);
}
Sha1Digest key_a(std::span<const std::uint8_t, kKeySize> s, const Skey& skey) {
    return hash3("keyA", s, skey);
}
Sha1Digest key_b(std::span<const std::uint8_t, kKeySize> s, const Skey& skey) {
    return hash3("keyB", s, skey);
}

crypto::Rc4 make_rc4_drop1024(std::span<const std::uint8_t> key) noexcept {
    crypto::Rc4 rc4(key);
    rc4.discard(kRc4Drop);
    return rc4;
}

}  // namespace bt::mse
