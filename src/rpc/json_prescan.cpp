#include "rpc/json_prescan.hpp"

namespace bt::rpc {

std::optional<std::string> prescan_json(std::string_view body) {
    std::size_t depth = 0;
    std::size_t values = 0;  // containers plus separators: an upper bound on the values the parser builds
    bool in_string = false;
    bool escaped = false;
    for (const char c : body) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '[':
            case '{':
                if (++depth > kMaxJsonDepth)
                    return "JSON nested deeper than " + std::to_string(kMaxJsonDepth);
                ++values;
                break;
            case ']':
            case '}':
                // Unbalanced closers are the parser's to report; only keep the count sane.
                if (depth > 0) --depth;
                break;
            case ',':
                ++values;
                break;
            default:
                break;
        }
        if (values > kMaxJsonValues)
            return "JSON holds more than " + std::to_string(kMaxJsonValues) + " values";
    }
    return std::nullopt;
}

}  // namespace bt::rpc
