#include "bencode/decode.hpp"

#include <algorithm>
#include <limits>

#include "core/error_category.hpp"

namespace bt::bencode {

namespace {

const char* describe(Errc e) noexcept {
    switch (e) {
        case Errc::unexpected_end:
            return "unexpected end of input";
        case Errc::invalid_character:
            return "invalid character";
        case Errc::leading_zero:
            return "leading zero in number";
        case Errc::negative_zero:
            return "negative zero";
        case Errc::empty_integer:
            return "integer without digits";
        case Errc::integer_overflow:
            return "integer out of 64-bit range";
        case Errc::string_too_long:
            return "string length exceeds the input";
        case Errc::depth_exceeded:
            return "nesting too deep";
        case Errc::too_many_values:
            return "too many values";
        case Errc::non_string_key:
            return "dictionary key is not a string";
        case Errc::unsorted_keys:
            return "dictionary keys not sorted";
        case Errc::duplicate_key:
            return "duplicate dictionary key";
        case Errc::trailing_data:
            return "trailing data after the value";
    }
    return nullptr;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

class Decoder {
  public:
    Decoder(std::string_view in, const Limits& limits) : in_(in), limits_(limits) {}

    Result<Value, DecodeError> run() {
        auto prefix = run_prefix();
        if (!prefix) return fail(prefix.error());
        if (prefix->length != in_.size()) return fail(DecodeError{Errc::trailing_data, prefix->length});
        return std::move(prefix->value);
    }

    Result<Prefix, DecodeError> run_prefix() {
        Value v;
        if (!parse(v, 0)) return fail(error_);
        return Prefix{std::move(v), pos_};
    }

  private:
    bool set_error(Errc code, std::size_t offset) {
        error_ = DecodeError{code, offset};
        return false;
    }

    bool parse(Value& out, std::size_t depth) {
        if (pos_ >= in_.size()) return set_error(Errc::unexpected_end, pos_);
        if (++values_ > limits_.max_values) return set_error(Errc::too_many_values, pos_);
        const std::size_t start = pos_;
        const char c = in_[pos_];
        bool ok;
        if (c == 'i') {
            ok = parse_int(out);
        } else if (is_digit(c)) {
            std::string_view s;
            ok = parse_string(s);
            if (ok) out = Value(s);
        } else if (c == 'l' || c == 'd') {
            if (depth >= limits_.max_depth) return set_error(Errc::depth_exceeded, pos_);
            ok = c == 'l' ? parse_list(out, depth) : parse_dict(out, depth);
        } else {
            return set_error(Errc::invalid_character, pos_);
        }
        if (ok) out.set_raw(in_.substr(start, pos_ - start));
        return ok;
    }

    // Digits of a non-negative decimal, without leading zeros; stops at the first non-digit.
    bool parse_digits(std::uint64_t& value, std::uint64_t max) {
        const std::size_t start = pos_;
        value = 0;
        while (pos_ < in_.size() && is_digit(in_[pos_])) {
            const auto digit = static_cast<std::uint64_t>(in_[pos_] - '0');
            if (value > (max - digit) / 10) return set_error(Errc::integer_overflow, start);
            value = value * 10 + digit;
            ++pos_;
        }
        if (pos_ == start) {
            return set_error(pos_ >= in_.size() ? Errc::unexpected_end : Errc::empty_integer, pos_);
        }
        if (in_[start] == '0' && pos_ - start > 1) return set_error(Errc::leading_zero, start);
        return true;
    }

    bool parse_int(Value& out) {
        ++pos_;  // 'i'
        bool negative = false;
        if (pos_ < in_.size() && in_[pos_] == '-') {
            negative = true;
            ++pos_;
        }
        const std::size_t digits_at = pos_;
        constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        std::uint64_t magnitude;
        if (!parse_digits(magnitude, negative ? kMax + 1 : kMax)) return false;
        if (pos_ >= in_.size()) return set_error(Errc::unexpected_end, pos_);
        if (in_[pos_] != 'e') return set_error(Errc::invalid_character, pos_);
        ++pos_;
        if (negative && magnitude == 0) return set_error(Errc::negative_zero, digits_at - 1);
        out =
            Value(negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude));
        return true;
    }

    bool parse_string(std::string_view& out) {
        const std::size_t start = pos_;
        std::uint64_t length;
        if (!parse_digits(length, std::numeric_limits<std::uint64_t>::max())) return false;
        if (pos_ >= in_.size()) return set_error(Errc::unexpected_end, pos_);
        if (in_[pos_] != ':') return set_error(Errc::invalid_character, pos_);
        ++pos_;
        if (length > in_.size() - pos_) return set_error(Errc::string_too_long, start);
        out = in_.substr(pos_, static_cast<std::size_t>(length));
        pos_ += static_cast<std::size_t>(length);
        return true;
    }

    bool parse_list(Value& out, std::size_t depth) {
        ++pos_;  // 'l'
        Value::List items;
        for (;;) {
            if (pos_ >= in_.size()) return set_error(Errc::unexpected_end, pos_);
            if (in_[pos_] == 'e') break;
            items.emplace_back();
            if (!parse(items.back(), depth + 1)) return false;
        }
        ++pos_;
        out = Value(std::move(items));
        return true;
    }

    bool parse_dict(Value& out, std::size_t depth) {
        const std::size_t dict_start = pos_;
        ++pos_;  // 'd'
        Value::Dict entries;
        bool sorted = true;
        for (;;) {
            if (pos_ >= in_.size()) return set_error(Errc::unexpected_end, pos_);
            if (in_[pos_] == 'e') break;
            const std::size_t key_at = pos_;
            if (!is_digit(in_[pos_])) return set_error(Errc::non_string_key, pos_);
            std::string_view key;
            if (!parse_string(key)) return false;
            if (!entries.empty()) {
                const std::string_view previous = entries.back().first;
                if (key == previous) return set_error(Errc::duplicate_key, key_at);
                if (key < previous) {
                    if (!limits_.allow_unsorted_keys) return set_error(Errc::unsorted_keys, key_at);
                    sorted = false;
                }
            }
            entries.emplace_back(key, Value());
            if (!parse(entries.back().second, depth + 1)) return false;
        }
        ++pos_;
        if (!sorted && has_duplicate_key(entries)) return set_error(Errc::duplicate_key, dict_start);
        out = Value(std::move(entries));
        return true;
    }

    static bool has_duplicate_key(const Value::Dict& entries) {
        std::vector<std::string_view> keys;
        keys.reserve(entries.size());
        for (const auto& entry : entries) keys.push_back(entry.first);
        std::sort(keys.begin(), keys.end());
        return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
    }

    std::string_view in_;
    const Limits& limits_;
    std::size_t pos_ = 0;
    std::size_t values_ = 0;
    DecodeError error_{Errc::unexpected_end, 0};
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const ErrorCategory<Errc> category("bencode", describe, "unknown bencode error");
    return category;
}

std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

std::string DecodeError::message() const {
    return make_error_code(code).message() + " at byte " + std::to_string(offset);
}

Result<Value, DecodeError> decode(std::string_view input, const Limits& limits) {
    return Decoder(input, limits).run();
}

Result<Prefix, DecodeError> decode_prefix(std::string_view input, const Limits& limits) {
    return Decoder(input, limits).run_prefix();
}

}  // namespace bt::bencode
