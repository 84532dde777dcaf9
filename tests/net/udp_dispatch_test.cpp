// The mux's routing table on its own: no socket.
#include "net/udp_dispatch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tracker/udp_codec.hpp"

namespace bt::net {
namespace {

using Route = UdpDispatchTable::Route;
using ClaimResult = UdpDispatchTable::ClaimResult;
using Packet = std::vector<std::uint8_t>;

const Endpoint kTracker = Endpoint::v4({127, 0, 0, 1}, 6969);
const Endpoint kOtherTracker = Endpoint::v4({127, 0, 0, 1}, 6970);
const Endpoint kTrackerV6 = Endpoint::v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 6969);

Packet connect_reply(std::uint32_t transaction_id) {
    return tracker::encode_udp_response(tracker::UdpConnectResponse{transaction_id, 42});
}

Packet bytes(const std::string& text) {
    return Packet(text.begin(), text.end());
}

TEST(UdpDispatchTable, RoutesAReplyToTheOwnerOfItsAddressAndTransactionId) {
    UdpDispatchTable table;
    ASSERT_EQ(table.claim(1, kTracker, 0xaabbccdd), ClaimResult::claimed);
    ASSERT_EQ(table.claim(2, kTracker, 0x11223344), ClaimResult::claimed);
    EXPECT_EQ(table.route(kTracker, connect_reply(0x11223344), false), (Route{Route::To::owner, 2}));
    EXPECT_EQ(table.route(kTracker, connect_reply(0xaabbccdd), false), (Route{Route::To::owner, 1}));
    EXPECT_EQ(table.stats().claimed, 2u);
}

TEST(UdpDispatchTable, TheRightIdFromAnotherAddressIsUnclaimed) {
    UdpDispatchTable table;
    ASSERT_EQ(table.claim(1, kTracker, 7), ClaimResult::claimed);
    EXPECT_EQ(table.route(kOtherTracker, connect_reply(7), false).to, Route::To::unclaimed);
    EXPECT_EQ(table.route(kTrackerV6, connect_reply(7), false).to, Route::To::unclaimed);
    EXPECT_EQ(table.route(kTracker, connect_reply(8), false).to, Route::To::unclaimed);
    EXPECT_EQ(table.stats().unclaimed, 3u);
}

TEST(UdpDispatchTable, ShortDatagramsAndKrpcMessagesAreUnclaimed) {
    UdpDispatchTable table;
    // Too short to carry a transaction id, or a DHT query (KRPC starts with 'd'): for the handler.
    ASSERT_EQ(table.claim(1, kTracker, 0), ClaimResult::claimed);
    EXPECT_EQ(table.route(kTracker, Packet{0, 0, 0, 0, 0, 0, 0}, false).to, Route::To::unclaimed);
    EXPECT_EQ(table.route(kTracker, Packet{}, false).to, Route::To::unclaimed);
    const auto krpc = bytes("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
    EXPECT_EQ(table.route(kTracker, krpc, false).to, Route::To::unclaimed);
}

TEST(UdpDispatchTable, ANewClaimReplacesTheOwnersPreviousOne) {
    UdpDispatchTable table;
    ASSERT_EQ(table.claim(1, kTracker, 100), ClaimResult::claimed);  // connect
    ASSERT_EQ(table.claim(1, kTracker, 200), ClaimResult::claimed);  // then announce, with a new id
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.route(kTracker, connect_reply(100), false).to, Route::To::unclaimed);
    EXPECT_EQ(table.route(kTracker, connect_reply(200), false), (Route{Route::To::owner, 1}));
    // A retransmission claims the same pair again.
    EXPECT_EQ(table.claim(1, kTracker, 200), ClaimResult::claimed);
    EXPECT_EQ(table.size(), 1u);
}

TEST(UdpDispatchTable, APairHeldByAnotherOwnerIsRefusedAndNothingChanges) {
    UdpDispatchTable table;
    ASSERT_EQ(table.claim(1, kTracker, 5), ClaimResult::claimed);
    ASSERT_EQ(table.claim(2, kTracker, 6), ClaimResult::claimed);
    EXPECT_EQ(table.claim(2, kTracker, 5), ClaimResult::already_claimed);
    EXPECT_EQ(table.route(kTracker, connect_reply(5), false), (Route{Route::To::owner, 1}));
    EXPECT_EQ(table.route(kTracker, connect_reply(6), false), (Route{Route::To::owner, 2}));
    EXPECT_EQ(table.stats().claims_refused, 1u);
}

TEST(UdpDispatchTable, IsBoundedAndReleaseMakesRoom) {
    UdpDispatchTable table(2);
    ASSERT_EQ(table.claim(1, kTracker, 1), ClaimResult::claimed);
    ASSERT_EQ(table.claim(2, kTracker, 2), ClaimResult::claimed);
    EXPECT_EQ(table.claim(3, kTracker, 3), ClaimResult::table_full);
    EXPECT_EQ(table.claim(2, kTracker, 4), ClaimResult::claimed) << "an owner may move its own claim";
    EXPECT_EQ(table.size(), 2u);
    table.release(1);
    table.release(1);  // twice is harmless
    EXPECT_EQ(table.route(kTracker, connect_reply(1), false).to, Route::To::unclaimed);
    EXPECT_EQ(table.claim(3, kTracker, 3), ClaimResult::claimed);
    EXPECT_EQ(table.size(), 2u);
}

TEST(UdpDispatchTable, AnOversizedDatagramIsDroppedEvenWhenClaimed) {
    UdpDispatchTable table;
    ASSERT_EQ(table.claim(1, kTracker, 9), ClaimResult::claimed);
    EXPECT_EQ(table.route(kTracker, connect_reply(9), true).to, Route::To::drop);
    EXPECT_EQ(table.stats().oversized, 1u);
    EXPECT_EQ(table.stats().claimed, 0u);
}

TEST(UdpDispatchTable, OwnersAtListsTheClaimsOnOneAddress) {
    UdpDispatchTable table;
    ASSERT_EQ(table.claim(1, kTracker, 0xffffffff), ClaimResult::claimed);
    ASSERT_EQ(table.claim(2, kOtherTracker, 1), ClaimResult::claimed);
    ASSERT_EQ(table.claim(3, kTracker, 0), ClaimResult::claimed);
    ASSERT_EQ(table.claim(4, kTrackerV6, 0), ClaimResult::claimed);
    auto owners = table.owners_at(kTracker);
    std::sort(owners.begin(), owners.end());
    EXPECT_EQ(owners, (std::vector<UdpDispatchTable::Owner>{1, 3}));
    EXPECT_EQ(table.owners_at(kTrackerV6), (std::vector<UdpDispatchTable::Owner>{4}));
    EXPECT_TRUE(table.owners_at(Endpoint::v4({10, 0, 0, 1}, 6969)).empty());
}

}  // namespace
}  // namespace bt::net
