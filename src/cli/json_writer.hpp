#pragma once
// A small streaming JSON writer (RFC 8259) for `--json` output, pretty-printed with two-space indents.
//
// Strings come from torrents and may hold any bytes. The output is always valid JSON in UTF-8:
// well-formed UTF-8 is copied as it is, '"', '\' and control characters are escaped (\n, \t, ...,
// \u00XX), and every byte that is not part of a well-formed UTF-8 sequence is replaced by U+FFFD
// (one U+FFFD per byte), so the result is lossy only for invalid input.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bt::cli {

// Appends the JSON string literal for `text`, quotes included, to `out`.
void append_json_string(std::string& out, std::string_view text);

class JsonWriter {
  public:
    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    // Inside an object, each value is preceded by key().
    void key(std::string_view name);
    void string(std::string_view text);
    void integer(std::int64_t value);
    void boolean(bool value);
    void null();

    // The document so far; complete once every begin_* has its end_*. Ends without a newline.
    const std::string& str() const noexcept { return out_; }

  private:
    void before_value();
    void newline();

    struct Level {
        bool object = false;
        bool empty = true;
    };
    std::string out_;
    std::vector<Level> stack_;
    bool after_key_ = false;
};

}  // namespace bt::cli
