#include "cli/peer_address.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace bt::cli {
namespace {

PeerAddress address(const char* text, const char* host, std::uint16_t port) {
    return PeerAddress{text, host, port};
}

TEST(ParsePeerAddress, TakesAddressesAndHostNames) {
    for (const auto& expected :
         {address("127.0.0.1:6881", "127.0.0.1", 6881), address("[::1]:6881", "::1", 6881),
          address("[2001:db8::7]:1", "2001:db8::7", 1),
          address("[::ffff:10.0.0.1]:65535", "::ffff:10.0.0.1", 65535),
          address("localhost:6881", "localhost", 6881), address("seedbox.lan.:51413", "seedbox.lan.", 51413),
          address("my-host_1.example:80", "my-host_1.example", 80),
          address("LOCALHOST:06881", "LOCALHOST", 6881)}) {
        const auto parsed = parse_peer_address(expected.text);
        ASSERT_TRUE(parsed) << expected.text << ": " << parsed.error();
        EXPECT_EQ(*parsed, expected);
    }
}

TEST(ParsePeerAddress, SaysWhatIsWrong) {
    struct Case {
        const char* text;
        const char* says;
    };
    for (const auto& c : {Case{"", "empty"},
                          Case{"localhost", "no port"},
                          Case{"[::1]", "no port"},
                          Case{"[::1]6881", "no port"},
                          Case{"[::1:6881", "no ']'"},
                          Case{"[127.0.0.1]:6881", "IPv6 address"},
                          Case{"[host]:6881", "IPv6 address"},
                          Case{"[]:6881", "IPv6 address"},
                          Case{"::1:6881", "needs brackets"},
                          Case{"2001:db8::7:6881", "needs brackets"},
                          Case{":6881", "no host"},
                          Case{"localhost:", "port must be"},
                          Case{"localhost:0", "port must be"},
                          Case{"localhost:65536", "port must be"},
                          Case{"localhost:123456", "port must be"},
                          Case{"localhost:-1", "port must be"},
                          Case{"localhost:80x", "port must be"},
                          Case{"[::1]:x", "port must be"},
                          Case{"1.2.3.256:6881", "not an IPv4 address"},
                          Case{"1.2.3:6881", "not an IPv4 address"},
                          Case{"010.0.0.1:6881", "not an IPv4 address"},
                          Case{"bad host:6881", "not a valid host name"},
                          Case{"a..b:6881", "not a valid host name"},
                          Case{".a:6881", "not a valid host name"},
                          Case{"http://host:6881", "a URL"},
                          Case{"host/path:6881", "not a valid host name"},
                          Case{"h\xc3\xa9te:6881", "not a valid host name"}}) {
        const auto parsed = parse_peer_address(c.text);
        ASSERT_FALSE(parsed) << c.text;
        EXPECT_NE(parsed.error().find(c.says), std::string::npos) << c.text << " -> " << parsed.error();
    }
    EXPECT_FALSE(parse_peer_address(std::string(64, 'a') + ".example:1"));  // a label over 63 characters
    EXPECT_TRUE(parse_peer_address(std::string(63, 'a') + ".example:1"));
}

// Name resolution here only ever looks up "localhost" (/etc/hosts): tests never reach a name server.
TEST(ResolvePeers, LiteralsAsTheyAreAndLocalhostThroughTheResolver) {
    const auto literals = resolve_peers({*parse_peer_address("10.0.0.2:6881"), *parse_peer_address("[::1]:7"),
                                         *parse_peer_address("10.0.0.2:6881")});
    ASSERT_TRUE(literals) << literals.error().message;
    EXPECT_EQ(*literals,
              (std::vector<Endpoint>{*parse_endpoint("10.0.0.2:6881"), *parse_endpoint("[::1]:7")}));

    const auto local = resolve_peers({*parse_peer_address("localhost:6881")});
    ASSERT_TRUE(local) << local.error().message;
    ASSERT_FALSE(local->empty());
    for (const auto& e : *local) {
        EXPECT_EQ(e.port, 6881);
        EXPECT_TRUE(e == *parse_endpoint("127.0.0.1:6881") || e == *parse_endpoint("[::1]:6881"))
            << e.to_string();
    }
    EXPECT_NE(std::find(local->begin(), local->end(), *parse_endpoint("127.0.0.1:6881")), local->end());
}

}  // namespace
}  // namespace bt::cli
