#include "tracker/display_text.hpp"

#include "core/printable.hpp"

namespace bt::tracker {

std::string display_text(std::string_view text, std::size_t max_bytes) {
    while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.remove_suffix(1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    return printable(text, max_bytes);
}

}  // namespace bt::tracker
