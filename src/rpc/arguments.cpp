#include "rpc/arguments.hpp"

#include <cmath>

namespace bt::rpc {

std::optional<std::int64_t> json_integer(const nlohmann::json& value, std::int64_t min, std::int64_t max) {
    std::int64_t number = 0;
    if (value.is_number_unsigned()) {
        const auto u = value.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        number = static_cast<std::int64_t>(u);
    } else if (value.is_number_integer()) {
        number = value.get<std::int64_t>();
    } else if (value.is_number_float()) {
        // A client in JavaScript may send 5.0 for 5; a fraction or something out of range is refused.
        const auto real = value.get<double>();
        if (!std::isfinite(real) || std::trunc(real) != real || real < -9.2e18 || real > 9.2e18)
            return std::nullopt;
        number = static_cast<std::int64_t>(real);
    } else if (value.is_boolean()) {
        number = value.get<bool>() ? 1 : 0;  // 3.00's GetInt takes booleans
    } else {
        return std::nullopt;
    }
    if (number < min || number > max) return std::nullopt;
    return number;
}

const nlohmann::json* ArgumentReader::find(std::string_view key) const {
    const auto it = arguments_.find(key);
    return it == arguments_.end() ? nullptr : &*it;
}

void ArgumentReader::fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
}

void ArgumentReader::fail_argument(std::string_view key, std::string_view expected) {
    fail("invalid argument '" + std::string(key) + "': expected " + std::string(expected));
}

std::optional<bool> ArgumentReader::boolean(std::string_view key) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (value->is_boolean()) return value->get<bool>();
    if (const auto number = json_integer(*value, 0, 1); number && !value->is_number_float())
        return *number == 1;
    if (value->is_string()) {
        const auto& text = value->get_ref<const std::string&>();
        if (text == "true") return true;
        if (text == "false") return false;
    }
    fail_argument(key, "a boolean");
    return std::nullopt;
}

std::optional<std::int64_t> ArgumentReader::integer(std::string_view key, std::int64_t min,
                                                    std::int64_t max) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (const auto number = json_integer(*value, min, max)) return number;
    fail_argument(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
}

std::optional<double> ArgumentReader::real(std::string_view key, double min, double max) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (value->is_number()) {
        const auto real = value->get<double>();
        if (std::isfinite(real) && real >= min && real <= max) return real;
    }
    fail_argument(key, "a number");
    return std::nullopt;
}

std::optional<std::string> ArgumentReader::string(std::string_view key) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (value->is_string()) return value->get<std::string>();
    fail_argument(key, "a string");
    return std::nullopt;
}

std::optional<std::vector<int>> ArgumentReader::index_list(std::string_view key) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_array()) {
        fail_argument(key, "a list of file indexes");
        return std::nullopt;
    }
    std::vector<int> indexes;
    indexes.reserve(value->size());
    for (const auto& element : *value) {
        const auto index = json_integer(element, 0, std::numeric_limits<int>::max());
        if (!index) {
            fail_argument(key, "a list of file indexes");
            return std::nullopt;
        }
        indexes.push_back(static_cast<int>(*index));
    }
    return indexes;
}

}  // namespace bt::rpc
