#pragma once
// Reads a request's `arguments` as Transmission 3.00 does: a boolean may come as true/false, 0/1 or
// "true"/"false" (its GetBool); a real may come as an integer. A value of the wrong type is not skipped:
// the first one is kept as the error (naming the argument), so a method reads everything, checks ok(),
// and only then changes anything.
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bt::rpc {

class ArgumentReader {
  public:
    // `arguments` is an object; it must outlive the reader.
    explicit ArgumentReader(const nlohmann::json& arguments) : arguments_(arguments) {}

    [[nodiscard]] const nlohmann::json* find(std::string_view key) const;
    [[nodiscard]] bool has(std::string_view key) const { return find(key) != nullptr; }

    // Each returns nullopt when the key is absent, or (recording the error) when it has the wrong type.
    std::optional<bool> boolean(std::string_view key);
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
    template <class Int>
    std::optional<Int> integer(std::string_view key, Int min = std::numeric_limits<Int>::min(),
                               Int max = std::numeric_limits<Int>::max()) {
        const auto value = integer(key, std::int64_t{min}, std::int64_t{max});
        if (!value) return std::nullopt;
        return static_cast<Int>(*value);
    }
    std::optional<double> real(std::string_view key, double min, double max);
    std::optional<std::string> string(std::string_view key);
    // A list of file indexes (present but empty means "every file", the caller's to expand).
    std::optional<std::vector<int>> index_list(std::string_view key);

    // Keeps the first error only: it names the argument the client should look at.
    void fail(std::string message);
    void fail_argument(std::string_view key, std::string_view expected);
    [[nodiscard]] bool ok() const { return error_.empty(); }
    [[nodiscard]] const std::string& error() const { return error_; }

  private:
    const nlohmann::json& arguments_;
    std::string error_;
};

// The integer a JSON number stands for, if it is one within [min, max] (a real only when integral).
std::optional<std::int64_t> json_integer(const nlohmann::json& value, std::int64_t min, std::int64_t max);

}  // namespace bt::rpc
