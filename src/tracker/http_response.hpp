#pragma once
// HTTP tracker responses: the bencoded announce reply (BEP 3, compact peers BEP 23, peers6 BEP 7, retry
// in BEP 31) and the scrape reply (BEP 48). Pure: bytes in, values out; never throws on bad input.
//
// The body must already be bounded by the HTTP client (net::HttpOptions::max_body, 4 MiB): these parsers
// bound what they keep (ResponseLimits) but read the whole body they are given.
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "tracker/error.hpp"
#include "tracker/types.hpp"

namespace bt::tracker {

// A "failure reason" is a successful parse: the response carries the text (and BEP 31 "retry in"), the
// other fields are then ignored. Errors: malformed_bencode, not_a_dictionary, invalid_field (a wrong type
// for interval, min interval, peers, peers6, failure reason; a negative interval), invalid_peers (compact
// length not a multiple of 6 or 18). Informational fields of the wrong type (warning message, tracker id,
// complete, incomplete, downloaded) are ignored. Dictionary-form peers that are not a dict, have no
// usable "ip" (host names are skipped) or a port outside 1-65535 are skipped and counted in invalid_peers.
Result<AnnounceResponse, Error> parse_announce_response(std::string_view body,
                                                        const ResponseLimits& limits = {});

// BEP 48: {"files": {<20-byte info-hash>: {"complete", "downloaded", "incomplete"}}, "flags":
// {"min_request_interval"}}. Entries are kept only for the `wanted` info-hashes when some are given (what
// the scrape asked for), else up to limits.max_scrape_files; keys that are not 20 bytes and values that
// are not dictionaries are skipped; all of these are counted in dropped_files. A missing or negative count
// reads as 0. A "failure reason" is a successful parse, as for announces. Errors: malformed_bencode,
// not_a_dictionary, invalid_field ("files" not a dictionary, "failure reason" not a string).
Result<ScrapeResponse, Error> parse_scrape_response(std::string_view body, const ResponseLimits& limits = {},
                                                    std::span<const InfoHashBytes> wanted = {});

// Encoders for in-process tracker stubs and the fuzzers' round trips. Compact form puts v4 peers in
// "peers" and v6 peers in "peers6" (peer ids are lost); otherwise "peers" is a list of dictionaries.
std::string encode_announce_response(const AnnounceResponse& response, bool compact = true);
std::string encode_scrape_response(const ScrapeResponse& response);

}  // namespace bt::tracker
