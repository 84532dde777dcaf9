// Oracle: whatever decodes strictly must re-encode to exactly the input bytes, and decode again equal.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto decoded = bt::bencode::decode(input);
    if (!decoded) {
        if (decoded.error().offset > size) std::abort();
        return 0;
    }
    if (bt::bencode::encode(*decoded) != input) std::abort();
    bt::bencode::Limits lenient;
    lenient.allow_unsorted_keys = true;
    if (!bt::bencode::decode(input, lenient)) std::abort();
    return 0;
}
