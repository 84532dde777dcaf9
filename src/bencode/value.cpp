#include "bencode/value.hpp"

namespace bt::bencode {

const Value* Value::find(std::string_view key) const noexcept {
    const Dict* dict = as_dict();
    if (dict == nullptr) return nullptr;
    for (const auto& [k, v] : *dict) {
        if (k == key) return &v;
    }
    return nullptr;
}

const char* type_name(Value::Type type) noexcept {
    switch (type) {
        case Value::Type::integer: return "integer";
        case Value::Type::string: return "string";
        case Value::Type::list: return "list";
        case Value::Type::dict: return "dictionary";
    }
    return "unknown";
}

}  // namespace bt::bencode
