#pragma once
// A map that keeps at most `capacity` keys: adding one more forgets the oldest. For records that peers can
// make us add (bans, strikes), so that memory stays bounded whatever they do; the price is that a flood of
// new records lets the oldest offender start over.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <variant>

namespace bt {

template <class Key, class Value = std::monostate>
class BoundedMap {
  public:
    explicit BoundedMap(std::size_t capacity) : capacity_(capacity) { assert(capacity > 0); }

    // The value of `key` (value-initialised if new), and whether it is new. The reference stays valid
    // until `capacity` newer keys were added.
    std::pair<Value&, bool> try_emplace(const Key& key) {
        auto [it, added] = values_.try_emplace(key);
        if (added) {
            order_.emplace_hint(order_.end(), next_order_++, key);
            if (order_.size() > capacity_) forget_oldest();
        }
        return {it->second, added};
    }
    // A smaller capacity forgets the oldest keys at once.
    void set_capacity(std::size_t capacity) {
        assert(capacity > 0);
        capacity_ = capacity;
        while (order_.size() > capacity_) forget_oldest();
    }
    bool contains(const Key& key) const { return values_.contains(key); }
    std::size_t size() const noexcept { return values_.size(); }

  private:
    void forget_oldest() {
        values_.erase(order_.begin()->second);
        order_.erase(order_.begin());
    }

    std::size_t capacity_;
    std::map<Key, Value> values_;
    // Insertion order, oldest first. A map rather than a deque: an empty one allocates nothing, and every
    // torrent has two of these that stay empty while nobody misbehaves.
    std::map<std::uint64_t, Key> order_;
    std::uint64_t next_order_ = 0;
};

}  // namespace bt
