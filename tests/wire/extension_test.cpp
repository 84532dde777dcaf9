#include "wire/extension.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "bencode/encode.hpp"
#include "bencode/value.hpp"
#include "wire/message.hpp"
#include "wire/message_reader.hpp"

namespace bt::wire {

// For readable gtest failures: the handshake in its canonical encoding.
void PrintTo(const ExtensionHandshake& h, std::ostream* os) {
    *os << encode_extension_handshake(h);
}

namespace {

using bencode::Value;
using Kind = ExtensionHandshakeError::Kind;

Value dict(std::initializer_list<std::pair<std::string_view, Value>> entries) {
    return Value(Value::Dict(entries));
}
Value list(std::initializer_list<Value> items) {
    return Value(Value::List(items));
}
std::string enc(const Value& v) {
    return bencode::encode(v);
}
Value i(std::int64_t v) {
    return Value(v);
}

// Binary strings (embedded NULs) for addresses.
constexpr std::string_view kLoopback4("\x7f\x00\x00\x01", 4);
constexpr std::string_view kDoc4("\xc0\x00\x02\x05", 4);  // 192.0.2.5
constexpr std::string_view kDoc6("\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);

Endpoint v4(std::string_view bytes) {
    std::array<std::uint8_t, 4> a{};
    std::copy(bytes.begin(), bytes.end(), a.begin());
    return Endpoint::v4(a, 0);
}
Endpoint v6(std::string_view bytes) {
    std::array<std::uint8_t, 16> a{};
    std::copy(bytes.begin(), bytes.end(), a.begin());
    return Endpoint::v6(a, 0);
}

ExtensionHandshake decode_ok(std::string_view payload) {
    auto h = decode_extension_handshake(payload);
    EXPECT_TRUE(h.has_value()) << (h ? "" : h.error().message());
    return h ? *h : ExtensionHandshake{};
}

// ---------------------------------------------------------------------------------------------------
// Handshakes shaped like the ones real clients send (constructed here, not captured).

struct RealWorldCase {
    const char* client;
    std::string payload;
    ExtensionHandshake expected;
};

std::vector<RealWorldCase> real_world_cases() {
    std::vector<RealWorldCase> cases;
    {
        // libtorrent 2.0: many extensions, a negative complete_ago, upload_only twice (in m and top level).
        ExtensionHandshake e;
        e.messages = {{"lt_donthave", 7},  {"share_mode", 8},  {"upload_only", 3},
                      {"ut_holepunch", 4}, {"ut_metadata", 2}, {"ut_pex", 1}};
        e.client = "libtorrent/2.0.8.0";
        e.listen_port = 6881;
        e.request_queue = 500;
        e.your_ip = v4(kLoopback4);
        e.metadata_size = 5412;
        cases.push_back(
            {"libtorrent",
             std::string("d12:complete_agoi-1e1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e"
                         "12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei5412e"
                         "1:pi6881e4:reqqi500e11:upload_onlyi0e1:v18:libtorrent/2.0.8.06:yourip4:") +
                 std::string(kLoopback4) + "e",
             e});
    }
    {
        // Transmission 4: its own addresses in ipv4/ipv6, 'e' (encryption preference), reqq 512.
        ExtensionHandshake e;
        e.messages = {{"ut_holepunch", 4}, {"ut_metadata", 3}, {"ut_pex", 1}};
        e.client = "Transmission 4.0.5";
        e.listen_port = 51413;
        e.request_queue = 512;
        e.your_ip = v4(kLoopback4);
        e.ipv4 = v4(kDoc4);
        e.ipv6 = v6(kDoc6);
        e.metadata_size = 31337;
        cases.push_back(
            {"Transmission",
             enc(dict({{"e", i(1)},
                       {"ipv4", kDoc4},
                       {"ipv6", kDoc6},
                       {"m", dict({{"ut_holepunch", i(4)}, {"ut_metadata", i(3)}, {"ut_pex", i(1)}})},
                       {"metadata_size", i(31337)},
                       {"p", i(51413)},
                       {"reqq", i(512)},
                       {"upload_only", i(0)},
                       {"v", "Transmission 4.0.5"},
                       {"yourip", kLoopback4}})),
             e});
    }
    {
        // qBittorrent (libtorrent inside) seeing us over IPv6.
        ExtensionHandshake e;
        e.messages = {
            {"lt_donthave", 7}, {"share_mode", 8}, {"upload_only", 3}, {"ut_metadata", 2}, {"ut_pex", 1}};
        e.client = "qBittorrent/4.6.2";
        e.listen_port = 8999;
        e.request_queue = 500;
        e.your_ip = v6(kDoc6);
        cases.push_back({"qBittorrent",
                         enc(dict({{"complete_ago", i(-1)},
                                   {"m", dict({{"lt_donthave", i(7)},
                                               {"share_mode", i(8)},
                                               {"upload_only", i(3)},
                                               {"ut_metadata", i(2)},
                                               {"ut_pex", i(1)}})},
                                   {"p", i(8999)},
                                   {"reqq", i(500)},
                                   {"upload_only", i(0)},
                                   {"v", "qBittorrent/4.6.2"},
                                   {"yourip", kDoc6}})),
                         e});
    }
    {
        // aria2: no reqq, no yourip.
        ExtensionHandshake e;
        e.messages = {{"ut_metadata", 2}, {"ut_pex", 1}};
        e.client = "aria2/1.36.0";
        e.metadata_size = 1187;
        cases.push_back(
            {"aria2", "d1:md11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei1187e1:v12:aria2/1.36.0e", e});
    }
    {
        // uTorrent: UTF-8 in 'v', an extension disabled with 0.
        ExtensionHandshake e;
        e.messages = {{"ut_comment", 6}, {"ut_metadata", 2}, {"ut_pex", 1}, {"upload_only", 0}};
        e.client = "\xc2\xb5Torrent 3.5.5";
        e.listen_port = 30000;
        e.request_queue = 255;
        cases.push_back({"uTorrent",
                         enc(dict({{"e", i(0)},
                                   {"m", dict({{"upload_only", i(0)},
                                               {"ut_comment", i(6)},
                                               {"ut_metadata", i(2)},
                                               {"ut_pex", i(1)}})},
                                   {"p", i(30000)},
                                   {"reqq", i(255)},
                                   {"v", "\xc2\xb5Torrent 3.5.5"}})),
                         e});
    }
    return cases;
}

TEST(ExtensionHandshake, DecodesHandshakesShapedLikeRealClients) {
    for (const auto& c : real_world_cases()) {
        SCOPED_TRACE(c.client);
        EXPECT_EQ(decode_ok(c.payload), c.expected);
    }
}

TEST(ExtensionHandshake, RealClientHandshakesSurviveAnEncodeDecodeRoundTrip) {
    for (const auto& c : real_world_cases()) {
        SCOPED_TRACE(c.client);
        const auto decoded = decode_ok(c.payload);
        EXPECT_EQ(decode_ok(encode_extension_handshake(decoded)), decoded);
    }
}

TEST(ExtensionHandshake, EveryTruncationOfARealHandshakeIsRefusedAsBadBencode) {
    for (const auto& c : real_world_cases()) {
        SCOPED_TRACE(c.client);
        for (std::size_t n = 0; n < c.payload.size(); ++n) {
            auto h = decode_extension_handshake(std::string_view(c.payload).substr(0, n));
            ASSERT_FALSE(h.has_value()) << "prefix of " << n << " bytes";
            EXPECT_EQ(h.error().kind, Kind::bad_bencode);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Lenient inside the dictionary: odd fields are skipped, the rest is kept.

struct LenientCase {
    const char* what;
    std::string payload;
    ExtensionHandshake expected;
};

template <class Fill>
ExtensionHandshake with(Fill fill) {
    ExtensionHandshake h;
    fill(h);
    return h;
}

TEST(ExtensionHandshake, SkipsUnknownWrongTypedAndOutOfRangeFields) {
    const std::string long_name(kMaxExtensionNameSize + 1, 'n');
    const std::string max_name(kMaxExtensionNameSize, 'n');
    const std::string long_client(100, 'x');
    const std::vector<LenientCase> cases = {
        {"empty dictionary", "de", {}},
        {"unknown keys with nested values",
         enc(dict({{"complete_ago", i(-1)},
                   {"x", list({dict({{"y", list({i(1), "z"})}})})},
                   {"v", "c/1"},
                   {"zz", dict({})}})),
         with([](ExtensionHandshake& h) { h.client = "c/1"; })},
        {"m is a list", enc(dict({{"m", list({"ut_pex", i(1)})}, {"p", i(1)}})),
         with([](ExtensionHandshake& h) { h.listen_port = 1; })},
        {"m is a string", "d1:m6:ut_pexe", {}},
        {"m entries: ids out of range or not integers are skipped, 0 and 255 kept",
         enc(dict({{"m", dict({{"a", i(0)},
                               {"b", i(255)},
                               {"c", i(256)},
                               {"d", i(-1)},
                               {"e", "1"},
                               {"f", list({i(1)})},
                               {"g", i(1)}})}})),
         with([](ExtensionHandshake& h) {
             h.messages = {{"a", 0}, {"b", 255}, {"g", 1}};
         })},
        {"m names longer than the bound are skipped",
         enc(dict({{"m", dict({{long_name, i(3)}, {max_name, i(4)}})}})), with([&](ExtensionHandshake& h) {
             h.messages = {{max_name, 4}};
         })},
        {"m: an empty name is a name", enc(dict({{"m", dict({{"", i(9)}})}})),
         with([](ExtensionHandshake& h) {
             h.messages = {{"", 9}};
         })},
        {"v not a string", "d1:vi5ee", {}},
        {"v longer than the bound is cut", enc(dict({{"v", std::string_view(long_client)}})),
         with([](ExtensionHandshake& h) { h.client = std::string(kMaxClientNameSize, 'x'); })},
        {"v empty", "d1:v0:e", with([](ExtensionHandshake& h) { h.client = ""; })},
        {"p 0, negative, too big or a string are skipped", "d1:pi0ee", {}},
        {"p negative", "d1:pi-1ee", {}},
        {"p 65536", "d1:pi65536ee", {}},
        {"p as a string", "d1:p4:6881e", {}},
        {"p 65535", "d1:pi65535ee", with([](ExtensionHandshake& h) { h.listen_port = 65535; })},
        {"reqq 0", "d4:reqqi0ee", {}},
        {"reqq negative", "d4:reqqi-5ee", {}},
        {"reqq 1", "d4:reqqi1ee", with([](ExtensionHandshake& h) { h.request_queue = 1; })},
        {"reqq 2^32-1", "d4:reqqi4294967295ee",
         with([](ExtensionHandshake& h) { h.request_queue = std::numeric_limits<std::uint32_t>::max(); })},
        {"reqq above 2^32-1 saturates", "d4:reqqi1099511627776ee",
         with([](ExtensionHandshake& h) { h.request_queue = std::numeric_limits<std::uint32_t>::max(); })},
        {"yourip of 5 bytes", "d6:yourip5:abcdee", {}},
        {"yourip in compact form with a port (6 bytes)", "d6:yourip6:abcdefe", {}},
        {"yourip as an integer", "d6:youripi1ee", {}},
        {"ipv4 holding 16 bytes", enc(dict({{"ipv4", kDoc6}})), {}},
        {"ipv6 holding 4 bytes", enc(dict({{"ipv6", kDoc4}})), {}},
        {"metadata_size 0", "d13:metadata_sizei0ee", {}},
        {"metadata_size negative", "d13:metadata_sizei-7ee", {}},
        {"metadata_size as a string", "d13:metadata_size3:123e", {}},
        {"keys out of order (some clients do not sort)", "d1:v3:c/11:md6:ut_pexi1eee",
         with([](ExtensionHandshake& h) {
             h.client = "c/1";
             h.messages = {{"ut_pex", 1}};
         })},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        const auto decoded = decode_ok(c.payload);
        EXPECT_EQ(decoded, c.expected);
        EXPECT_EQ(decode_ok(encode_extension_handshake(decoded)), decoded) << "round trip";
    }
}

TEST(ExtensionHandshake, KeepsOnlyTheFirstExtensionNamesUpToTheBound) {
    Value::Dict m;
    std::vector<std::string> names;
    for (std::size_t n = 0; n < kMaxExtensionMessages + 10; ++n) {
        const std::string digits = std::to_string(n);
        names.push_back("x" + std::string(3 - digits.size(), '0') + digits);  // sorted: x000, x001, ...
    }
    for (std::size_t n = 0; n < names.size(); ++n) m.emplace_back(names[n], Value(std::int64_t(n % 200 + 1)));
    const auto h = decode_ok(enc(dict({{"m", Value(std::move(m))}})));
    ASSERT_EQ(h.messages.size(), kMaxExtensionMessages);
    EXPECT_TRUE(h.messages.contains(names.front()));
    EXPECT_TRUE(h.messages.contains(names[kMaxExtensionMessages - 1]));
    EXPECT_FALSE(h.messages.contains(names[kMaxExtensionMessages]));
    EXPECT_EQ(decode_ok(encode_extension_handshake(h)), h);
}

// ---------------------------------------------------------------------------------------------------
// Strict about the envelope.

struct MalformedCase {
    const char* what;
    std::string payload;
    Kind kind;
    const char* message_part;  // expected inside message()
};

TEST(ExtensionHandshake, RefusesMalformedPayloadsWithAClearError) {
    const std::string deep = "d1:a" + std::string(20, 'l') + std::string(20, 'e') + "e";
    std::string many_values = "d1:xl";
    for (int n = 0; n < 5000; ++n) many_values += "i0e";
    many_values += "ee";
    ASSERT_LE(many_values.size(), kMaxExtensionHandshakeSize);
    const std::vector<MalformedCase> cases = {
        {"empty payload", "", Kind::bad_bencode, "not valid bencode"},
        {"a list", "l1:me", Kind::not_a_dictionary, "not a dictionary but a list"},
        {"an integer", "i5e", Kind::not_a_dictionary, "but an integer"},
        {"a string", "4:spam", Kind::not_a_dictionary, "but a string"},
        {"truncated dictionary", "d1:mde", Kind::bad_bencode, "unexpected end of input at byte 6"},
        {"trailing bytes", "d1:mdeex", Kind::bad_bencode, "trailing data after the value at byte 7"},
        {"duplicate key", "d1:pi1e1:pi2ee", Kind::bad_bencode, "duplicate dictionary key"},
        {"integer key", "di1ei2ee", Kind::bad_bencode, "key is not a string"},
        {"leading zero", "d1:pi06881ee", Kind::bad_bencode, "leading zero"},
        {"string longer than the payload", "d1:v99:abce", Kind::bad_bencode, "not valid bencode"},
        {"nested deeper than the limit", deep, Kind::bad_bencode, "nesting too deep"},
        {"more values than the limit", many_values, Kind::bad_bencode, "too many values"},
        {"binary garbage", std::string("\x00\xff\x13", 3), Kind::bad_bencode, "not valid bencode"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto h = decode_extension_handshake(c.payload);
        ASSERT_FALSE(h.has_value());
        EXPECT_EQ(h.error().kind, c.kind);
        EXPECT_EQ(h.error().size, c.payload.size());
        EXPECT_EQ(h.error().bencode_error.has_value(), c.kind == Kind::bad_bencode);
        EXPECT_NE(h.error().message().find(c.message_part), std::string::npos) << h.error().message();
    }
}

TEST(ExtensionHandshake, AcceptsExactlyTheSizeBoundAndRefusesOneByteMore) {
    // d 1:v <n>:<pad> e, sized to the bound.
    const auto payload_of = [](std::size_t total) {
        std::string head = "d1:x";
        std::size_t pad = total - head.size() - 1;  // minus the final 'e'
        // The pad's length prefix takes digits too.
        for (;;) {
            const std::string prefix = std::to_string(pad) + ":";
            if (head.size() + prefix.size() + pad + 1 == total)
                return head + prefix + std::string(pad, 'p') + "e";
            --pad;
        }
    };
    const auto at_bound = payload_of(kMaxExtensionHandshakeSize);
    ASSERT_EQ(at_bound.size(), kMaxExtensionHandshakeSize);
    EXPECT_TRUE(decode_extension_handshake(at_bound).has_value());
    const auto over = payload_of(kMaxExtensionHandshakeSize + 1);
    auto h = decode_extension_handshake(over);
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().kind, Kind::too_large);
    EXPECT_NE(h.error().message().find("16385 bytes"), std::string::npos) << h.error().message();
}

// ---------------------------------------------------------------------------------------------------
// Framing: the handshake arrives in an EXTENDED message (id 20, extended id 0) and may be split anywhere.

TEST(ExtensionHandshake, DecodesTheSameFromAFrameSplitAtEveryOffset) {
    const auto c = real_world_cases().front();
    const std::vector<std::uint8_t> payload(c.payload.begin(), c.payload.end());
    const auto frame = to_bytes(Extended{kExtendedHandshakeId, payload});
    for (std::size_t split = 0; split <= frame.size(); ++split) {
        SCOPED_TRACE(split);
        MessageReader reader(std::uint32_t{10});
        reader.feed(std::span(frame).first(split));
        auto first = reader.next();
        ASSERT_TRUE(first.has_value());
        if (split < frame.size()) {
            ASSERT_TRUE(std::holds_alternative<NeedMore>(*first));
            reader.feed(std::span(frame).subspan(split));
            first = reader.next();
            ASSERT_TRUE(first.has_value());
        }
        const auto* message = std::get_if<Message>(&*first);
        ASSERT_NE(message, nullptr);
        const auto* extended = std::get_if<Extended>(message);
        ASSERT_NE(extended, nullptr);
        EXPECT_EQ(extended->id, kExtendedHandshakeId);
        auto h = decode_extension_handshake(extended->payload);
        ASSERT_TRUE(h.has_value());
        EXPECT_EQ(*h, c.expected);
    }
}

// ---------------------------------------------------------------------------------------------------
// Encoding ours.

TEST(ExtensionHandshake, EncodesOurHandshakeCanonically) {
    ExtensionHandshake ours;
    ours.client = "bitveil 0.1.0";
    ours.listen_port = 6881;
    ours.request_queue = 500;
    ours.your_ip = v4(kLoopback4);
    EXPECT_EQ(encode_extension_handshake(ours),
              std::string("d1:mde1:pi6881e4:reqqi500e1:v13:bitveil 0.1.06:yourip4:") +
                  std::string(kLoopback4) + "e");
}

TEST(ExtensionHandshake, EncodesOnlyTheFieldsThatAreSet) {
    EXPECT_EQ(encode_extension_handshake({}), "d1:mdee");
    ExtensionHandshake h;
    h.messages = {{"ut_pex", 1}, {"ut_metadata", 2}, {"lt_donthave", 0}};
    h.your_ip = v6(kDoc6);
    EXPECT_EQ(encode_extension_handshake(h),
              std::string("d1:md11:lt_donthavei0e11:ut_metadatai2e6:ut_pexi1ee") +
                  "6:yourip16:" + std::string(kDoc6) + "e");
}

TEST(ExtensionHandshake, EncodingLeavesOutAddressesOfTheWrongFamilyAndCutsLongNames) {
    ExtensionHandshake h;
    h.ipv4 = v6(kDoc6);
    h.ipv6 = v4(kDoc4);
    h.client = std::string(kMaxClientNameSize + 5, 'c');
    const auto decoded = decode_ok(encode_extension_handshake(h));
    EXPECT_FALSE(decoded.ipv4.has_value());
    EXPECT_FALSE(decoded.ipv6.has_value());
    EXPECT_EQ(decoded.client, std::string(kMaxClientNameSize, 'c'));
}

TEST(ExtensionHandshake, EveryFieldSurvivesARoundTrip) {
    ExtensionHandshake h;
    h.messages = {{"a", 1}, {"b", 0}, {"c", 255}};
    h.client = std::string("bin\0ary", 7);
    h.listen_port = 1;
    h.request_queue = std::numeric_limits<std::uint32_t>::max();
    h.your_ip = v6(kDoc6);
    h.ipv4 = v4(kDoc4);
    h.ipv6 = v6(kDoc6);
    h.metadata_size = std::uint64_t{1} << 40;
    EXPECT_EQ(decode_ok(encode_extension_handshake(h)), h);
}

// ---------------------------------------------------------------------------------------------------
// Printing a client name.

TEST(PrintableClientName, EscapesControlCharactersAndInvalidUtf8) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"libtorrent/2.0.8.0", "libtorrent/2.0.8.0"},
        {"Transmission 4.0.5", "Transmission 4.0.5"},
        {"\xc2\xb5Torrent 3.5.5", "\xc2\xb5Torrent 3.5.5"},  // BEP 10: "a utf-8 string"
        {"evil\x1b[31m\r\n", "evil\\x1b[31m\\x0d\\x0a"},
        {std::string("a\0b", 3), "a\\x00b"},
        {"\x7f~ \xff", "\\x7f~ \\xff"},
        {"", ""},
    };
    for (const auto& [in, out] : cases) EXPECT_EQ(printable_client_name(in), out);
}

// ---------------------------------------------------------------------------------------------------
// PeerExtensions: what a peer told us over one or more handshakes.

TEST(PeerExtensions, BeforeAnyHandshakeAssumesTheBep10DefaultQueue) {
    PeerExtensions p;
    EXPECT_FALSE(p.has_handshake());
    EXPECT_EQ(p.request_queue(), 250u);
    EXPECT_EQ(p.client(), "");
    EXPECT_FALSE(p.message_id("ut_metadata").has_value());
    EXPECT_FALSE(p.listen_port().has_value());
}

TEST(PeerExtensions, TakesTheFieldsOfTheFirstHandshake) {
    PeerExtensions p;
    p.apply(decode_ok(real_world_cases().front().payload));  // libtorrent
    EXPECT_TRUE(p.has_handshake());
    EXPECT_EQ(p.client(), "libtorrent/2.0.8.0");
    EXPECT_EQ(p.request_queue(), 500u);
    EXPECT_EQ(p.message_id("ut_metadata"), std::uint8_t{2});
    EXPECT_EQ(p.message_id("lt_donthave"), std::uint8_t{7});
    EXPECT_EQ(p.listen_port(), std::uint16_t{6881});
    EXPECT_EQ(p.your_ip(), v4(kLoopback4));
    EXPECT_EQ(p.metadata_size(), std::uint64_t{5412});
}

TEST(PeerExtensions, DisabledEntriesOfAFirstHandshakeAreNotEnabled) {
    PeerExtensions p;
    p.apply(decode_ok("d1:md11:upload_onlyi0e6:ut_pexi1eee"));
    EXPECT_FALSE(p.message_id("upload_only").has_value());
    EXPECT_EQ(p.messages().size(), 1u);
}

TEST(PeerExtensions, ALaterHandshakeChangesOnlyWhatItCarries) {
    PeerExtensions p;
    p.apply(decode_ok("d1:md11:ut_metadatai2e6:ut_pexi1ee1:pi6881e4:reqqi500e1:v5:lt/2.e"));
    // BEP 10's example: disable one extension, leave the rest alone.
    p.apply(decode_ok("d1:md11:ut_metadatai0eee"));
    EXPECT_FALSE(p.message_id("ut_metadata").has_value());
    EXPECT_EQ(p.message_id("ut_pex"), std::uint8_t{1});
    EXPECT_EQ(p.client(), "lt/2.");
    EXPECT_EQ(p.request_queue(), 500u);
    EXPECT_EQ(p.listen_port(), std::uint16_t{6881});
    // New ID, new queue size, new name.
    p.apply(decode_ok("d1:md6:ut_pexi9ee4:reqqi64e1:v5:lt/3.e"));
    EXPECT_EQ(p.message_id("ut_pex"), std::uint8_t{9});
    EXPECT_EQ(p.request_queue(), 64u);
    EXPECT_EQ(p.client(), "lt/3.");
    EXPECT_EQ(p.handshakes(), 3u);
}

TEST(PeerExtensions, ManyHandshakesCannotGrowTheExtensionTableBeyondTheBound) {
    PeerExtensions p;
    for (int round = 0; round < 20; ++round) {
        ExtensionHandshake h;
        for (int n = 0; n < 100; ++n)
            h.messages.emplace("r" + std::to_string(round) + "n" + std::to_string(n), 1);
        p.apply(h);
    }
    EXPECT_EQ(p.messages().size(), kMaxExtensionMessages);
    // Known names can still be updated and removed when the table is full.
    const std::string known = p.messages().begin()->first;
    p.apply(with([&](ExtensionHandshake& h) { h.messages = {{known, 42}}; }));
    EXPECT_EQ(p.message_id(known), std::uint8_t{42});
    p.apply(with([&](ExtensionHandshake& h) { h.messages = {{known, 0}}; }));
    EXPECT_FALSE(p.message_id(known).has_value());
    EXPECT_EQ(p.messages().size(), kMaxExtensionMessages - 1);
}

}  // namespace
}  // namespace bt::wire
