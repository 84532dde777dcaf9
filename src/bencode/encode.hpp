#pragma once
#include <string>

#include "bencode/value.hpp"

namespace bt::bencode {

// Canonical encoding: dictionary keys sorted as raw byte strings, whatever order they were given in.
std::string encode(const Value& value);
void encode_to(std::string& out, const Value& value);

}  // namespace bt::bencode
