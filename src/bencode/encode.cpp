#include "bencode/encode.hpp"

#include <algorithm>

namespace bt::bencode {

namespace {
void encode_string(std::string& out, std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
}
}  // namespace

void encode_to(std::string& out, const Value& value) {
    switch (value.type()) {
        case Value::Type::integer:
            out += 'i';
            out += std::to_string(*value.as_int());
            out += 'e';
            return;
        case Value::Type::string:
            encode_string(out, *value.as_string());
            return;
        case Value::Type::list:
            out += 'l';
            for (const auto& item : *value.as_list()) encode_to(out, item);
            out += 'e';
            return;
        case Value::Type::dict: {
            std::vector<const Value::Dict::value_type*> entries;
            for (const auto& entry : *value.as_dict()) entries.push_back(&entry);
            std::stable_sort(entries.begin(), entries.end(),
                             [](const auto* a, const auto* b) { return a->first < b->first; });
            out += 'd';
            for (const auto* entry : entries) {
                encode_string(out, entry->first);
                encode_to(out, entry->second);
            }
            out += 'e';
            return;
        }
    }
}

std::string encode(const Value& value) {
    std::string out;
    encode_to(out, value);
    return out;
}

}  // namespace bt::bencode
