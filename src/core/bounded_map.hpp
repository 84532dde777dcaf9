#pragma once
// A map that keeps at most `capacity` keys: adding one more forgets the oldest. For records that peers can
// make us add (bans, strikes), so that memory stays bounded whatever they do; the price is that a flood of
// new records lets the oldest offender start over.
#include <cassert>
#include <cstddef>
#include <deque>
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
            order_.push_back(key);
            if (order_.size() > capacity_) {
                values_.erase(order_.front());
                order_.pop_front();
            }
        }
        return {it->second, added};
    }
    // A smaller capacity forgets the oldest keys at once.
    void set_capacity(std::size_t capacity) {
        assert(capacity > 0);
        capacity_ = capacity;
        while (order_.size() > capacity_) {
            values_.erase(order_.front());
            order_.pop_front();
        }
    }
    bool contains(const Key& key) const { return values_.contains(key); }
    std::size_t size() const noexcept { return values_.size(); }

  private:
    std::size_t capacity_;
    std::map<Key, Value> values_;
    std::deque<Key> order_;  // insertion order, oldest first
};

}  // namespace bt
