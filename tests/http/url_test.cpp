#include "http/url.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace bt::http {
namespace {

// RFC 3986 2.1: the hex digits of a percent-encoding are case-insensitive (uppercase is recommended).
// Compare targets with them uppercased, so the tests do not depend on which case the encoder picks.
std::string upper_escapes(std::string s) {
    for (std::size_t i = 0; i + 2 < s.size(); ++i) {
        if (s[i] != '%') continue;
        s[i + 1] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i + 1])));
        s[i + 2] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i + 2])));
    }
    return s;
}

// True when every byte may appear in a request line's target: visible ASCII only.
bool request_line_safe(const std::string& s) {
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7f) return false;
    }
    return true;
}

std::vector<std::string> lines_of(const std::string& head) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (;;) {
        const auto end = head.find("\r\n", start);
        if (end == std::string::npos) break;
        lines.push_back(head.substr(start, end - start));
        start = end + 2;
    }
    return lines;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The values of the header lines named `name` (case-insensitive), with the surrounding spaces removed.
std::vector<std::string> header_values(const std::string& head, const std::string& name) {
    std::vector<std::string> values;
    const auto lines = lines_of(head);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto colon = lines[i].find(':');
        if (colon == std::string::npos || lower(lines[i].substr(0, colon)) != lower(name)) continue;
        std::string value = lines[i].substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        values.push_back(value);
    }
    return values;
}

// ---- parse_http_url ----

struct UrlCase {
    const char* url;
    HttpUrl expected;
};

void PrintTo(const UrlCase& c, std::ostream* out) {
    *out << testing::PrintToString(std::string(c.url));
}

class ParseHttpUrlAccepts : public testing::TestWithParam<UrlCase> {};

TEST_P(ParseHttpUrlAccepts, GivesHostPortAndTarget) {
    const auto parsed = parse_http_url(GetParam().url);
    ASSERT_TRUE(parsed) << GetParam().url;
    EXPECT_EQ(parsed->host, GetParam().expected.host) << GetParam().url;
    EXPECT_EQ(parsed->port, GetParam().expected.port) << GetParam().url;
    EXPECT_EQ(upper_escapes(parsed->target), GetParam().expected.target) << GetParam().url;
    EXPECT_TRUE(request_line_safe(parsed->target)) << GetParam().url;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseHttpUrlAccepts,
    testing::Values(
        // Port 80 unless given; the path defaults to "/".
        UrlCase{"http://t.example/announce", {"t.example", 80, "/announce"}},
        UrlCase{"http://t.example", {"t.example", 80, "/"}},
        UrlCase{"http://t.example/", {"t.example", 80, "/"}},
        UrlCase{"http://t.example:6969/announce", {"t.example", 6969, "/announce"}},
        UrlCase{"http://t.example:80/x", {"t.example", 80, "/x"}},
        UrlCase{"http://t.example:1/", {"t.example", 1, "/"}},
        UrlCase{"http://t.example:65535/", {"t.example", 65535, "/"}},
        UrlCase{"http://t.example:8080", {"t.example", 8080, "/"}},
        UrlCase{"http://1.2.3.4:6881/a", {"1.2.3.4", 6881, "/a"}},
        // The scheme is case-insensitive (RFC 3986 3.1).
        UrlCase{"HTTP://t.example/a", {"t.example", 80, "/a"}},
        UrlCase{"hTtP://t.example/a", {"t.example", 80, "/a"}},
        // IPv6 literals: brackets in the URL, none in the host.
        UrlCase{"http://[::1]/announce", {"::1", 80, "/announce"}},
        UrlCase{"http://[::1]:8080/announce", {"::1", 8080, "/announce"}},
        UrlCase{"http://[2001:db8::7]", {"2001:db8::7", 80, "/"}},
        UrlCase{"http://[2001:db8::7]:6969?x=1", {"2001:db8::7", 6969, "/?x=1"}},
        // The query is kept, the fragment dropped.
        UrlCase{"http://t/announce?passkey=abc&x=1", {"t", 80, "/announce?passkey=abc&x=1"}},
        UrlCase{"http://t/announce?", {"t", 80, "/announce?"}}, UrlCase{"http://t?x=1", {"t", 80, "/?x=1"}},
        UrlCase{"http://t:81?x=1", {"t", 81, "/?x=1"}},
        UrlCase{"http://t/announce#frag", {"t", 80, "/announce"}},
        UrlCase{"http://t/announce?a=1#frag", {"t", 80, "/announce?a=1"}},
        UrlCase{"http://t#frag", {"t", 80, "/"}}, UrlCase{"http://t/a#frag?x=1", {"t", 80, "/a"}},
        UrlCase{"http://t/a?b=c/d?e", {"t", 80, "/a?b=c/d?e"}},
        // '@' after the authority is not user information.
        UrlCase{"http://t/a@b", {"t", 80, "/a@b"}}, UrlCase{"http://t/a?mail=x@y", {"t", 80, "/a?mail=x@y"}},
        // Existing escapes are kept, not encoded a second time.
        UrlCase{"http://t/a%20b?info_hash=%12%AB%ff", {"t", 80, "/a%20b?info_hash=%12%AB%FF"}}));

TEST(ParseHttpUrl, KeepsExistingEscapesAsTheyAre) {
    const auto parsed = parse_http_url("http://t/a%20b?info_hash=%12%AB%ff&k=v");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->target, "/a%20b?info_hash=%12%AB%ff&k=v");
}

TEST(ParseHttpUrl, ComparesEqualFieldByField) {
    const auto parsed = parse_http_url("http://[::1]:8080/a?b");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, (HttpUrl{"::1", 8080, "/a?b"}));
}

class ParseHttpUrlRefuses : public testing::TestWithParam<const char*> {};

TEST_P(ParseHttpUrlRefuses, GivesNullopt) {
    EXPECT_EQ(parse_http_url(GetParam()), std::nullopt) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(OtherSchemes, ParseHttpUrlRefuses,
                         testing::Values("https://t.example/announce", "HTTPS://t.example/",
                                         "udp://t.example:6969/announce", "ftp://t.example/",
                                         "httpx://t.example/", "http:/t.example/", "http:t.example/",
                                         "//t.example/", "t.example/announce", "/announce", "", "http",
                                         "http:", "http:/"));

INSTANTIATE_TEST_SUITE_P(UserInformation, ParseHttpUrlRefuses,
                         testing::Values("http://user:pass@t.example/", "http://user@t.example/",
                                         "http://@t.example/", "http://user:pass@t.example:8080/a?b",
                                         "http://u@[::1]/"));

INSTANTIATE_TEST_SUITE_P(BadPorts, ParseHttpUrlRefuses,
                         testing::Values("http://t:0/", "http://t:65536/", "http://t:70000/", "http://t:-1/",
                                         "http://t:8a/", "http://t:a8/", "http://t:0x50/", "http://t:+80/",
                                         "http://t: 80/", "http://t:80 /", "http://t:99999999999999999999/",
                                         "http://t:18446744073709551696/", "http://t:80:81/",
                                         "http://[::1]:0/", "http://[::1]:65536/", "http://[::1]:x/"));

INSTANTIATE_TEST_SUITE_P(BadHosts, ParseHttpUrlRefuses,
                         testing::Values("http://", "http:///", "http:///announce", "http://:80/",
                                         "http://?x=1", "http://#f", "http://[]/", "http://[]:80/",
                                         "http://[::1/", "http://[::1", "http://::1]/", "http://[::1]x/",
                                         "http://[::1]80/", "http://[t.example]/", "http://[1.2.3.4]/",
                                         "http://t.ex ample/", "http://t.example\r\n/",
                                         "http://t\r\nX-Evil: 1/", "http://t\n/", "http://t\t/"));

TEST(ParseHttpUrl, RefusesAHostWithANulByte) {
    EXPECT_EQ(parse_http_url(std::string("http://t\0x/", 11)), std::nullopt);
}

struct EncodeCase {
    std::string url;
    std::string target;  // with uppercase escapes
};

void PrintTo(const EncodeCase& c, std::ostream* out) {
    *out << testing::PrintToString(c.url);
}

class ParseHttpUrlEncodes : public testing::TestWithParam<EncodeCase> {};

// Whatever the URL holds, the target can go into "GET <target> HTTP/1.1" without splitting the line.
TEST_P(ParseHttpUrlEncodes, BytesThatMayNotAppearInARequestLine) {
    const auto parsed = parse_http_url(GetParam().url);
    ASSERT_TRUE(parsed) << GetParam().url;
    EXPECT_EQ(upper_escapes(parsed->target), GetParam().target);
    EXPECT_TRUE(request_line_safe(parsed->target)) << parsed->target;
    EXPECT_EQ(parsed->target.find('\r'), std::string::npos);
    EXPECT_EQ(parsed->target.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseHttpUrlEncodes,
    testing::Values(
        EncodeCase{"http://t/a b", "/a%20b"}, EncodeCase{"http://t/a\r\nX-Evil: 1", "/a%0D%0AX-Evil:%201"},
        EncodeCase{"http://t/a?k=v\r\n\r\nGET / HTTP/1.1", "/a?k=v%0D%0A%0D%0AGET%20/%20HTTP/1.1"},
        EncodeCase{"http://t/a?k=b c", "/a?k=b%20c"}, EncodeCase{"http://t/\t", "/%09"},
        EncodeCase{"http://t/x\x7fy", "/x%7Fy"}, EncodeCase{"http://t/\x01\x1f", "/%01%1F"},
        EncodeCase{std::string("http://t/a\0b", 12), "/a%00b"},
        EncodeCase{"http://t/caf\xc3\xa9", "/caf%C3%A9"}, EncodeCase{"http://t/\xff\x80?\xfe", "/%FF%80?%FE"},
        EncodeCase{"http://t:8080/a b?c d#e f", "/a%20b?c%20d"}));

TEST(ParseHttpUrl, NoByteOfAnyValueReachesTheTargetUnencoded) {
    for (int c = 0; c < 256; ++c) {
        if (c == '#' || c == '?' || c == '%') continue;  // structure, not data
        const std::string url = std::string("http://t/p") + static_cast<char>(c) + "q";
        const auto parsed = parse_http_url(url);
        ASSERT_TRUE(parsed) << "byte " << c;
        EXPECT_TRUE(request_line_safe(parsed->target)) << "byte " << c << ": " << parsed->target;
        EXPECT_EQ(parsed->host, "t");
        EXPECT_EQ(parsed->target.substr(0, 2), "/p") << "byte " << c;
    }
}

// ---- has_scheme ----

TEST(HasScheme, ComparesTheSchemeCaseInsensitively) {
    EXPECT_TRUE(has_scheme("http://t/", "http"));
    EXPECT_TRUE(has_scheme("HTTP://t/", "http"));
    EXPECT_TRUE(has_scheme("Https://t/", "https"));
    EXPECT_TRUE(has_scheme("udp://t:1", "udp"));
    EXPECT_TRUE(has_scheme("http:", "http"));
    EXPECT_FALSE(has_scheme("https://t/", "http"));
    EXPECT_FALSE(has_scheme("http://t/", "https"));
    EXPECT_FALSE(has_scheme("httpx://t/", "http"));
    EXPECT_FALSE(has_scheme("http", "http"));
    EXPECT_FALSE(has_scheme("htt", "http"));
    EXPECT_FALSE(has_scheme("", "http"));
    EXPECT_FALSE(has_scheme("/http:", "http"));
    EXPECT_FALSE(has_scheme(" http://t/", "http"));
}

// ---- resolve_reference ----

struct ResolveCase {
    const char* reference;
    const char* expected;
};

void PrintTo(const ResolveCase& c, std::ostream* out) {
    *out << '"' << c.reference << '"';
}

constexpr const char* kRfcBase = "http://a/b/c/d;p?q";

class ResolveReferenceRfc3986 : public testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveReferenceRfc3986, MatchesSection54) {
    EXPECT_EQ(resolve_reference(kRfcBase, GetParam().reference),
              std::optional<std::string>(GetParam().expected))
        << "reference " << GetParam().reference;
}

// RFC 3986 5.4.1, normal examples.
INSTANTIATE_TEST_SUITE_P(
    Normal, ResolveReferenceRfc3986,
    testing::Values(ResolveCase{"g:h", "g:h"}, ResolveCase{"g", "http://a/b/c/g"},
                    ResolveCase{"./g", "http://a/b/c/g"}, ResolveCase{"g/", "http://a/b/c/g/"},
                    ResolveCase{"/g", "http://a/g"}, ResolveCase{"//g", "http://g"},
                    ResolveCase{"?y", "http://a/b/c/d;p?y"}, ResolveCase{"g?y", "http://a/b/c/g?y"},
                    ResolveCase{";x", "http://a/b/c/;x"}, ResolveCase{"g;x", "http://a/b/c/g;x"},
                    ResolveCase{".", "http://a/b/c/"}, ResolveCase{"./", "http://a/b/c/"},
                    ResolveCase{"..", "http://a/b/"}, ResolveCase{"../", "http://a/b/"},
                    ResolveCase{"../g", "http://a/b/g"}, ResolveCase{"../..", "http://a/"},
                    ResolveCase{"../../", "http://a/"}, ResolveCase{"../../g", "http://a/g"}));

// RFC 3986 5.4.2, abnormal examples (all but the "http:g" one, where strict and lenient parsers differ).
INSTANTIATE_TEST_SUITE_P(
    Abnormal, ResolveReferenceRfc3986,
    testing::Values(ResolveCase{"../../../g", "http://a/g"}, ResolveCase{"../../../../g", "http://a/g"},
                    ResolveCase{"/./g", "http://a/g"}, ResolveCase{"/../g", "http://a/g"},
                    ResolveCase{"g.", "http://a/b/c/g."}, ResolveCase{".g", "http://a/b/c/.g"},
                    ResolveCase{"g..", "http://a/b/c/g.."}, ResolveCase{"..g", "http://a/b/c/..g"},
                    ResolveCase{"./../g", "http://a/b/g"}, ResolveCase{"./g/.", "http://a/b/c/g/"},
                    ResolveCase{"g/./h", "http://a/b/c/g/h"}, ResolveCase{"g/../h", "http://a/b/c/h"},
                    ResolveCase{"g;x=1/./y", "http://a/b/c/g;x=1/y"},
                    ResolveCase{"g;x=1/../y", "http://a/b/c/y"},
                    ResolveCase{"g?y/./x", "http://a/b/c/g?y/./x"},
                    ResolveCase{"g?y/../x", "http://a/b/c/g?y/../x"}));

// Fragments, as RFC 3986 5.4 keeps them (parse_http_url drops them afterwards).
INSTANTIATE_TEST_SUITE_P(Fragments, ResolveReferenceRfc3986,
                         testing::Values(ResolveCase{"#s", "http://a/b/c/d;p?q#s"},
                                         ResolveCase{"g#s", "http://a/b/c/g#s"},
                                         ResolveCase{"g?y#s", "http://a/b/c/g?y#s"},
                                         ResolveCase{"g;x?y#s", "http://a/b/c/g;x?y#s"},
                                         ResolveCase{"g#s/./x", "http://a/b/c/g#s/./x"},
                                         ResolveCase{"g#s/../x", "http://a/b/c/g#s/../x"}));

// Absolute references replace the base whatever their scheme; the caller decides what it follows.
INSTANTIATE_TEST_SUITE_P(Absolute, ResolveReferenceRfc3986,
                         testing::Values(ResolveCase{"https://x/y", "https://x/y"},
                                         ResolveCase{"http://x/y", "http://x/y"},
                                         ResolveCase{"http://x:8080/y?z=1", "http://x:8080/y?z=1"},
                                         ResolveCase{"udp://x:6969", "udp://x:6969"},
                                         ResolveCase{"http://x/a/../b", "http://x/b"}));

TEST(ResolveReference, EmptyReferenceGivesNullopt) {
    EXPECT_EQ(resolve_reference(kRfcBase, ""), std::nullopt);
    EXPECT_EQ(resolve_reference("http://t/announce", ""), std::nullopt);
}

TEST(ResolveReference, BaseWithoutSchemeGivesNullopt) {
    EXPECT_EQ(resolve_reference("/a/b", "g"), std::nullopt);
    EXPECT_EQ(resolve_reference("a/b", "../g"), std::nullopt);
    EXPECT_EQ(resolve_reference("//a/b", "g"), std::nullopt);
    EXPECT_EQ(resolve_reference("", "g"), std::nullopt);
}

TEST(ResolveReference, TypicalRedirects) {
    const std::string base = "http://t.example:8080/x/announce?info_hash=%AB&port=6881";
    EXPECT_EQ(resolve_reference(base, "/new/announce?k=1"),
              std::optional<std::string>("http://t.example:8080/new/announce?k=1"));
    EXPECT_EQ(resolve_reference(base, "announce2"),
              std::optional<std::string>("http://t.example:8080/x/announce2"));
    EXPECT_EQ(resolve_reference(base, "//other.example/a"),
              std::optional<std::string>("http://other.example/a"));
    EXPECT_EQ(resolve_reference(base, "?passkey=2"),
              std::optional<std::string>("http://t.example:8080/x/announce?passkey=2"));
    EXPECT_EQ(resolve_reference(base, "http://mirror.example/announce"),
              std::optional<std::string>("http://mirror.example/announce"));
}

TEST(ResolveReference, KeepsAnIpv6AuthorityAndPort) {
    EXPECT_EQ(resolve_reference("http://[::1]:8080/a/b", "c"),
              std::optional<std::string>("http://[::1]:8080/a/c"));
    EXPECT_EQ(resolve_reference("http://[::1]:8080/a/b", "/d?e"),
              std::optional<std::string>("http://[::1]:8080/d?e"));
}

TEST(ResolveReference, MergesWithABaseWithoutPath) {
    // RFC 3986 5.2.3: a base with an authority and an empty path merges as "/" + reference.
    EXPECT_EQ(resolve_reference("http://a", "g"), std::optional<std::string>("http://a/g"));
    EXPECT_EQ(resolve_reference("http://a:81", "g/h"), std::optional<std::string>("http://a:81/g/h"));
}

TEST(ResolveReference, NeverInheritsTheBaseFragment) {
    EXPECT_EQ(resolve_reference("http://a/b/c#f", "d"), std::optional<std::string>("http://a/b/d"));
    EXPECT_EQ(resolve_reference("http://a/b/c?q#f", "/e"), std::optional<std::string>("http://a/e"));
}

TEST(ResolveReference, ResultParsesForAnHttpRedirect) {
    const auto resolved = resolve_reference("http://t.example:8080/x/y", "../z?a=1");
    ASSERT_TRUE(resolved);
    EXPECT_EQ(parse_http_url(*resolved), (HttpUrl{"t.example", 8080, "/z?a=1"}));
}

// ---- format_get_request ----

TEST(FormatGetRequest, StartsWithTheRequestLineAndEndsWithABlankLine) {
    const std::string request =
        format_get_request(HttpUrl{"t.example", 80, "/announce?a=1&b=%20"}, "bitveil/0.1");
    EXPECT_EQ(request.rfind("GET /announce?a=1&b=%20 HTTP/1.1\r\n", 0), 0u) << request;
    ASSERT_GE(request.size(), 4u);
    EXPECT_EQ(request.substr(request.size() - 4), "\r\n\r\n") << request;
    // One head, nothing after it, and no line ends other than CRLF.
    EXPECT_EQ(request.find("\r\n\r\n"), request.size() - 4) << request;
    std::string without_crlf = request;
    for (auto at = without_crlf.find("\r\n"); at != std::string::npos; at = without_crlf.find("\r\n")) {
        without_crlf.erase(at, 2);
    }
    EXPECT_EQ(without_crlf.find('\r'), std::string::npos) << request;
    EXPECT_EQ(without_crlf.find('\n'), std::string::npos) << request;
}

TEST(FormatGetRequest, HasHostUserAgentAndConnectionClose) {
    const std::string request = format_get_request(HttpUrl{"t.example", 80, "/"}, "bitveil/0.1");
    EXPECT_EQ(header_values(request, "Host"), std::vector<std::string>{"t.example"}) << request;
    EXPECT_EQ(header_values(request, "User-Agent"), std::vector<std::string>{"bitveil/0.1"}) << request;
    EXPECT_EQ(header_values(request, "Connection"), std::vector<std::string>{"close"}) << request;
    // Each header line is "Name: value".
    const auto lines = lines_of(request);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back(), "");  // the blank line that ends the head
    for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
        const auto colon = lines[i].find(':');
        ASSERT_NE(colon, std::string::npos) << lines[i];
        EXPECT_GT(colon, 0u) << lines[i];
        EXPECT_EQ(lines[i].find(' '), colon + 1) << lines[i];
    }
}

TEST(FormatGetRequest, HostHasThePortOnlyWhenNot80) {
    EXPECT_EQ(header_values(format_get_request(HttpUrl{"t.example", 80, "/"}, "ua"), "Host"),
              std::vector<std::string>{"t.example"});
    EXPECT_EQ(header_values(format_get_request(HttpUrl{"t.example", 8080, "/"}, "ua"), "Host"),
              std::vector<std::string>{"t.example:8080"});
    EXPECT_EQ(header_values(format_get_request(HttpUrl{"1.2.3.4", 1, "/"}, "ua"), "Host"),
              std::vector<std::string>{"1.2.3.4:1"});
    EXPECT_EQ(header_values(format_get_request(HttpUrl{"t", 65535, "/"}, "ua"), "Host"),
              std::vector<std::string>{"t:65535"});
}

TEST(FormatGetRequest, HostBracketsAnIpv6Literal) {
    EXPECT_EQ(header_values(format_get_request(HttpUrl{"::1", 80, "/"}, "ua"), "Host"),
              std::vector<std::string>{"[::1]"});
    EXPECT_EQ(header_values(format_get_request(HttpUrl{"2001:db8::7", 6969, "/a"}, "ua"), "Host"),
              std::vector<std::string>{"[2001:db8::7]:6969"});
}

TEST(FormatGetRequest, AsksForNoContentCoding) {
    const std::string request = format_get_request(HttpUrl{"t", 80, "/"}, "ua");
    for (const auto& value : header_values(request, "Accept-Encoding")) {
        EXPECT_EQ(lower(value), "identity") << request;
    }
    const std::string l = lower(request);
    EXPECT_EQ(l.find("gzip"), std::string::npos) << request;
    EXPECT_EQ(l.find("deflate"), std::string::npos) << request;
}

TEST(FormatGetRequest, AHostileUserAgentCannotAddAHeader) {
    const std::string request =
        format_get_request(HttpUrl{"t", 80, "/"}, "bitveil\r\nX-Evil: 1\r\n\r\nGET /x HTTP/1.1\nX-Evil: 2");
    EXPECT_TRUE(header_values(request, "X-Evil").empty()) << request;
    EXPECT_EQ(request.find("\r\n\r\n"), request.size() - 4) << request;
    EXPECT_EQ(request.find('\n'), request.find("\r\n") + 1) << request;
    EXPECT_EQ(header_values(request, "Host"), std::vector<std::string>{"t"}) << request;
    EXPECT_EQ(header_values(request, "Connection"), std::vector<std::string>{"close"}) << request;
}

TEST(FormatGetRequest, AHostileUrlCannotAddAHeader) {
    const auto url = parse_http_url("http://t.example/a\r\nX-Evil: 1\r\n\r\nGET /b HTTP/1.1?c\r\nX-Evil: 2");
    ASSERT_TRUE(url);
    const std::string request = format_get_request(*url, "bitveil/0.1");
    EXPECT_TRUE(header_values(request, "X-Evil").empty()) << request;
    const auto lines = lines_of(request);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "GET " + url->target + " HTTP/1.1");
    EXPECT_EQ(request.find("\r\n\r\n"), request.size() - 4) << request;
    std::size_t request_lines = 0;
    for (const auto& line : lines) {
        if (line.rfind("GET ", 0) == 0) ++request_lines;
    }
    EXPECT_EQ(request_lines, 1u) << request;
    EXPECT_EQ(header_values(request, "Host"), std::vector<std::string>{"t.example"}) << request;
}

TEST(HasUserInfo, OnlyInTheAuthority) {
    EXPECT_TRUE(has_user_info("http://user:pass@t.example/announce"));
    EXPECT_TRUE(has_user_info("http://user@t.example:80/"));
    EXPECT_FALSE(has_user_info("http://t.example/announce?mail=a@b"));
    EXPECT_FALSE(has_user_info("http://t.example/a@b"));
    EXPECT_FALSE(has_user_info("http://t.example#x@y"));
    EXPECT_FALSE(has_user_info("mailto:a@b"));
}

}  // namespace
}  // namespace bt::http
