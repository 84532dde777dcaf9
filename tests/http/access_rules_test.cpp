#include "http/access_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bt::http {
namespace {

Endpoint address(const char* text) {
    return *parse_ip_address(text, 50000);
}

TEST(AccessRules, SplitsCommaSeparatedSettings) {
    EXPECT_EQ(split_list("127.0.0.1,::1"), (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_EQ(split_list(" a , b,,c "), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(split_list("").empty());
}

TEST(AccessRules, WildcardsMatchAnyRun) {
    EXPECT_TRUE(wildcard_match("*", ""));
    EXPECT_TRUE(wildcard_match("192.168.*.*", "192.168.1.20"));
    EXPECT_FALSE(wildcard_match("192.168.*.*", "192.169.1.20"));
    EXPECT_TRUE(wildcard_match("*.Example.org", "box.example.ORG"));
    EXPECT_FALSE(wildcard_match("*.example.org", "example.org"));
    EXPECT_TRUE(wildcard_match("a*b*c", "aXbYbZc"));
    EXPECT_FALSE(wildcard_match("abc", "abcd"));
    EXPECT_TRUE(wildcard_match(std::string(50, '*') + "b", std::string(5000, 'a') + "b"));
}

TEST(AccessRules, AllowListComparesAddressesAndPatterns) {
    const auto defaults = split_list("127.0.0.1,::1");
    EXPECT_TRUE(address_allowed(defaults, address("127.0.0.1")));
    EXPECT_TRUE(address_allowed(defaults, address("::1")));
    EXPECT_FALSE(address_allowed(defaults, address("127.0.0.2")));
    EXPECT_FALSE(address_allowed(defaults, address("10.0.0.1")));
    EXPECT_TRUE(address_allowed(split_list("0:0:0:0:0:0:0:1"), address("::1")));
    EXPECT_TRUE(address_allowed(split_list("10.0.*.*"), address("10.0.3.4")));
    EXPECT_TRUE(address_allowed(split_list("*"), address("2001:db8::5")));
    EXPECT_FALSE(address_allowed({}, address("127.0.0.1")));
}

TEST(AccessRules, HostOfStripsPortAndBrackets) {
    EXPECT_EQ(host_of("LocalHost:9091"), "localhost");
    EXPECT_EQ(host_of("[::1]:9091"), "::1");
    EXPECT_EQ(host_of("[::1]"), "::1");
    EXPECT_EQ(host_of("example.org"), "example.org");
    EXPECT_EQ(host_of("[::1"), "");
}

TEST(AccessRules, HostCheckAllowsLiteralsLocalhostAndListedNames) {
    const auto names = split_list("*.lan, box.example.org");
    for (const char* host : {"127.0.0.1:9091", "192.168.1.2", "[::1]:9091", "[2001:db8::1]", "localhost:9091",
                             "localhost.", "LOCALHOST", "nas.lan:9091", "box.example.org"})
        EXPECT_TRUE(host_allowed(host, names)) << host;
    for (const char* host :
         {"", "evil.example", "localhost.evil.example", "example.org", "[::1", "127.0.0.1.nip.io"})
        EXPECT_FALSE(host_allowed(host, names)) << host;
}

TEST(AccessRules, OriginMustNameTheHost) {
    EXPECT_TRUE(origin_matches_host("http://localhost:9091", "localhost:9091"));
    EXPECT_TRUE(origin_matches_host("http://LOCALHOST:9091", "localhost:9091"));
    EXPECT_TRUE(origin_matches_host("http://[::1]:9091", "[::1]:9091"));
    EXPECT_TRUE(origin_matches_host("http://example.org", "example.org:80"));
    EXPECT_TRUE(origin_matches_host("https://example.org", "example.org"));
    EXPECT_FALSE(origin_matches_host("http://localhost:9092", "localhost:9091"));
    EXPECT_FALSE(origin_matches_host("http://evil.example", "localhost:9091"));
    EXPECT_FALSE(origin_matches_host("http://127.0.0.1:9091", "localhost:9091"));
    EXPECT_FALSE(origin_matches_host("null", "localhost:9091"));
    EXPECT_FALSE(origin_matches_host("http://localhost:9091", ""));
}

TEST(AccessRules, ConstantTimeEquals) {
    EXPECT_TRUE(constant_time_equals("secret", "secret"));
    EXPECT_TRUE(constant_time_equals("", ""));
    EXPECT_FALSE(constant_time_equals("secreT", "secret"));
    EXPECT_FALSE(constant_time_equals("secret1", "secret"));
    EXPECT_FALSE(constant_time_equals("secre", "secret"));
    EXPECT_FALSE(constant_time_equals(std::string("secret\0", 7), "secret"));
}

TEST(AccessRules, ParsesBasicCredentials) {
    std::string user;
    std::string password;
    ASSERT_TRUE(parse_basic_credentials("Basic dXNlcjpwYTpzcw==", user, password));  // user:pa:ss
    EXPECT_EQ(user, "user");
    EXPECT_EQ(password, "pa:ss");
    ASSERT_TRUE(parse_basic_credentials("basic  Og==", user, password));  // ":"
    EXPECT_EQ(user, "");
    EXPECT_EQ(password, "");
    EXPECT_FALSE(parse_basic_credentials("Bearer dXNlcjpwYXNz", user, password));
    EXPECT_FALSE(parse_basic_credentials("Basic dXNlcnBhc3M=", user, password));  // no colon
    EXPECT_FALSE(parse_basic_credentials("Basic !!!!", user, password));
    EXPECT_FALSE(parse_basic_credentials("Basic", user, password));
}

}  // namespace
}  // namespace bt::http
