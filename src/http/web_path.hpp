#pragma once
// The file part of a request for a web file, checked before it reaches the file system. Pure; the server
// still confines the result to its web folder by real path (symbolic links included).
#include <optional>
#include <string>
#include <string_view>

namespace bt::http {

// The relative path that `encoded` (the target after the web prefix, query and all) names: percent-decoded,
// empty and "." segments dropped. nullopt when it is refused: malformed percent-encoding, a ".." segment
// (however encoded), a backslash, a NUL or other control byte, or an encoded slash ("%2F", which would let a
// segment check be fooled).
std::optional<std::string> decode_web_path(std::string_view encoded);

// The Content-Type of a file by its extension (any case); application/octet-stream when unknown.
std::string_view mime_type(std::string_view path);

}  // namespace bt::http
