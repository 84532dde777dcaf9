#include "mse/skey_index.hpp"

namespace bt::mse {

void SkeyIndex::add(const Skey& skey) {
    by_req2_.insert_or_assign(req2_hash(skey), skey);
}

void SkeyIndex::remove(const Skey& skey) {
    by_req2_.erase(req2_hash(skey));
}

std::optional<Skey> SkeyIndex::find(const Sha1Digest& req2) const {
    auto it = by_req2_.find(req2);
    if (it == by_req2_.end()) return std::nullopt;
    return it->second;
}

std::function<std::optional<Skey>(const Sha1Digest&)> SkeyIndex::lookup() const {
    return [this](const Sha1Digest& req2) { return find(req2); };
}

}  // namespace bt::mse
