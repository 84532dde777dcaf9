#pragma once
// The receiver's SKEY lookup (spec/mse.md §7): HASH('req2', info-hash) is precomputed per torrent, so
// identifying the torrent of an incoming MSE connection is one hash-map lookup. For a hybrid v1+v2
// torrent, add both the v1 info-hash and the truncated v2 info-hash. Magnets (no metadata yet) work
// too: only the info-hash is needed.
#include <cstddef>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>

#include "mse/keys.hpp"

namespace bt::mse {

class SkeyIndex {
  public:
    void add(const Skey& skey);
    void remove(const Skey& skey);
    [[nodiscard]] std::optional<Skey> find(const Sha1Digest& req2) const;
    [[nodiscard]] std::size_t size() const noexcept { return by_req2_.size(); }

    // A lookup for Params::find_skey that refers to this index (which must outlive the handshake).
    [[nodiscard]] std::function<std::optional<Skey>(const Sha1Digest&)> lookup() const;

  private:
    struct DigestHash {
        std::size_t operator()(const Sha1Digest& d) const noexcept {
            std::size_t v = 0;  // SHA-1 output is uniform: its first bytes make a good hash
            std::memcpy(&v, d.data(), sizeof v);
            return v;
        }
    };
    std::unordered_map<Sha1Digest, Skey, DigestHash> by_req2_;
};

}  // namespace bt::mse
