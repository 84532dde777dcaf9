#pragma once
// The checks an RPC server makes on a request before it answers, as pure functions of the request's
// text (Transmission 3.00's rules, see the spec's section 7, with our fixes): the IP allow-list, Basic
// credentials, the Host header (DNS rebinding) and the Origin header (cross-site requests).
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"

namespace bt::http {

// "a, b,,c" -> {"a", "b", "c"}: Transmission's comma-separated settings (rpc-whitelist,
// rpc-host-whitelist).
std::vector<std::string> split_list(std::string_view list);

// `text` matches `pattern`, where '*' stands for any run of characters; letters in any case.
bool wildcard_match(std::string_view pattern, std::string_view text);

// Whether `peer` is on the allow-list: an entry with '*' matches the address text ("192.168.*.*"), an
// entry without is compared as an address, so "::1" and "0:0:0:0:0:0:0:1" are the same. Callers pass
// IPv4-mapped IPv6 peers as IPv4 (net::from_asio does).
bool address_allowed(const std::vector<std::string>& allow_list, const Endpoint& peer);

// The host of a Host header or of an authority: "[::1]:9091" -> "::1", "Example.org:80" -> "example.org".
std::string host_of(std::string_view authority);

// The Host check against DNS rebinding: IP literals, "localhost" and "localhost." always pass; other names
// only when they match an entry of `allowed_names` (wildcards allowed). A missing or empty Host fails.
bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed_names);

// False when the request carries an Origin whose host and port differ from its Host header: a page of
// another site posting to us. "null" (sandboxed or file pages) is another site too.
bool origin_matches_host(std::string_view origin, std::string_view host_header);

// Compares a secret with what a client sent in time that depends only on the secret's length.
bool constant_time_equals(std::string_view sent, std::string_view secret);

// The user and password of an "Authorization: Basic <base64(user:password)>" value; false when the value
// is not of that form.
bool parse_basic_credentials(std::string_view authorization, std::string& user, std::string& password);

}  // namespace bt::http
