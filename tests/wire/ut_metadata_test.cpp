#include "wire/ut_metadata.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace bt::wire {
namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(UtMetadata, PieceCountAndSizes) {
    EXPECT_EQ(metadata_piece_count(1), 1u);
    EXPECT_EQ(metadata_piece_count(16384), 1u);
    EXPECT_EQ(metadata_piece_count(16385), 2u);
    EXPECT_EQ(metadata_piece_size(16385, 0), 16384u);
    EXPECT_EQ(metadata_piece_size(16385, 1), 1u);
    EXPECT_EQ(metadata_piece_size(16385, 2), 0u);
}

TEST(UtMetadata, TheBepsExamplesDecode) {
    auto request = decode_metadata_message(bytes("d8:msg_typei0e5:piecei0ee"));
    ASSERT_TRUE(request) << request.error();
    EXPECT_EQ(request->type, MetadataMessageType::request);
    EXPECT_EQ(request->piece, 0u);

    const std::string data = "d8:msg_typei1e5:piecei3e10:total_sizei34256eexxxxxxxx";
    auto piece = decode_metadata_message(bytes(data));
    ASSERT_TRUE(piece) << piece.error();
    EXPECT_EQ(piece->type, MetadataMessageType::data);
    EXPECT_EQ(piece->piece, 3u);
    EXPECT_EQ(piece->total_size, 34256u);
    EXPECT_EQ(std::string(piece->data.begin(), piece->data.end()), "xxxxxxxx");

    auto reject = decode_metadata_message(bytes("d8:msg_typei2e5:piecei0ee"));
    ASSERT_TRUE(reject) << reject.error();
    EXPECT_EQ(reject->type, MetadataMessageType::reject);
}

TEST(UtMetadata, EncodingRoundTrips) {
    const std::vector<std::uint8_t> block(100, 7);
    for (const std::string& encoded :
         {encode_metadata_request(5), encode_metadata_reject(6), encode_metadata_data(7, 16484, block)}) {
        auto decoded = decode_metadata_message(bytes(encoded));
        ASSERT_TRUE(decoded) << decoded.error();
    }
    const std::string encoded = encode_metadata_data(7, 16484, block);  // the message's data points into it
    auto data = decode_metadata_message(bytes(encoded));
    EXPECT_EQ(data->piece, 7u);
    EXPECT_EQ(data->total_size, 16484u);
    EXPECT_EQ(std::vector<std::uint8_t>(data->data.begin(), data->data.end()), block);
}

TEST(UtMetadata, UnknownTypesAndExtraKeysAreIgnoredNotErrors) {
    auto unknown = decode_metadata_message(bytes("d1:xi1e8:msg_typei9e5:piecei0ee"));
    ASSERT_TRUE(unknown) << unknown.error();
    EXPECT_EQ(unknown->type, MetadataMessageType::unknown);
}

TEST(UtMetadata, MalformedMessagesAreRefusedWithAReason) {
    for (const char* bad : {"", "i1e", "d5:piecei0ee", "d8:msg_typei0ee", "d8:msg_typei0e5:piecei-1ee",
                            "d8:msg_typei0e5:piecei99999999999ee", "d8:msg_typei1e5:piecei0ee",
                            "d8:msg_typei1e5:piecei0e10:total_sizei0ee", "d8:msg_typei0e5:piecei0eextra",
                            "d8:msg_typei0e5:piece3:abce", "d8:msg_typei0e5:piecei0e"}) {
        auto r = decode_metadata_message(bytes(bad));
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_NE(r.error().find("ut_metadata"), std::string::npos) << r.error();
        }
    }
}

}  // namespace
}  // namespace bt::wire
