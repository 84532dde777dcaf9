#pragma once
// A decoded bencode value. Strings are views into the decoder's input (zero-copy), so a Value must not
// outlive the buffer it was decoded from. Every decoded value also remembers its exact encoded bytes
// (raw()), which is what the info-hash is computed over.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bt::bencode {

class Value {
public:
    using List = std::vector<Value>;
    // Entries in the order they were encoded; strict decoding guarantees sorted, unique keys.
    using Dict = std::vector<std::pair<std::string_view, Value>>;
    enum class Type : std::uint8_t { integer, string, list, dict };

    Value() : v_(std::int64_t{0}) {}
    Value(std::int64_t i) : v_(i) {}          // NOLINT: values read naturally as literals
    Value(std::string_view s) : v_(s) {}      // NOLINT
    Value(const char* s) : v_(std::string_view(s)) {}  // NOLINT
    Value(List l) : v_(std::move(l)) {}       // NOLINT
    Value(Dict d) : v_(std::move(d)) {}       // NOLINT

    Type type() const noexcept { return static_cast<Type>(v_.index()); }
    const std::int64_t* as_int() const noexcept { return std::get_if<std::int64_t>(&v_); }
    const std::string_view* as_string() const noexcept { return std::get_if<std::string_view>(&v_); }
    const List* as_list() const noexcept { return std::get_if<List>(&v_); }
    const Dict* as_dict() const noexcept { return std::get_if<Dict>(&v_); }
    List* as_list() noexcept { return std::get_if<List>(&v_); }
    Dict* as_dict() noexcept { return std::get_if<Dict>(&v_); }

    // Dictionary lookup; nullptr when this is not a dict or the key is absent.
    const Value* find(std::string_view key) const noexcept;

    // The exact bytes this value was decoded from; empty for values built in code.
    std::string_view raw() const noexcept { return raw_; }
    void set_raw(std::string_view raw) noexcept { raw_ = raw; }

    // Structural equality; raw() is not compared.
    friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

private:
    std::variant<std::int64_t, std::string_view, List, Dict> v_;
    std::string_view raw_;
};

const char* type_name(Value::Type type) noexcept;

}  // namespace bt::bencode
