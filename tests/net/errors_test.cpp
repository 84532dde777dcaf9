#include "net/errors.hpp"

#include <gtest/gtest.h>

#include <asio/error.hpp>
#include <string>
#include <system_error>

#include "mse/errors.hpp"
#include "net/peer_handshake.hpp"

namespace bt::net {
namespace {

// The texts are what the logs and the --stats-json counters show; the integration tests and users match them.
TEST(NetErrors, MessagesAreTheStableReasons) {
    EXPECT_STREQ(error_category().name(), "bt.net");
    const struct {
        Errc code;
        const char* text;
    } table[] = {
        {Errc::connect_failed, "connect failed"},
        {Errc::connect_timeout, "connect timeout"},
        {Errc::handshake_timeout, "handshake timeout"},
        {Errc::closed_during_handshake, "closed during handshake"},
        {Errc::handshake_timeout_before_key, "handshake timeout before key"},
        {Errc::not_bittorrent, "not a BitTorrent handshake"},
        {Errc::wrong_info_hash, "handshake for another torrent"},
        {Errc::unknown_info_hash, "unknown torrent"},
        {Errc::plaintext_refused, "plaintext refused (encryption required)"},
        {Errc::mse_refused, "mse refused (encryption disabled)"},
        {Errc::mse_closed_during_handshake, "mse: closed during handshake"},
        {Errc::mse_handshake_timeout, "mse: handshake timeout"},
        {Errc::mse_timeout_before_ya, "mse: timeout before Ya"},
        {Errc::mse_invalid_public_key, "mse: invalid public key"},
        {Errc::mse_plaintext_reply, "mse: peer answered in plaintext"},
        {Errc::mse_no_sync, "mse: no sync within bound"},
        {Errc::mse_unknown_torrent, "mse: unknown torrent"},
        {Errc::mse_bad_vc, "mse: bad VC"},
        {Errc::mse_no_common_method, "mse: no common method"},
        {Errc::mse_invalid_select, "mse: invalid crypto_select"},
        {Errc::mse_pad_too_long, "mse: pad too long"},
        {Errc::mse_ia_too_long, "mse: initial payload too long"},
    };
    for (const auto& row : table) {
        EXPECT_EQ(make_error_code(row.code).message(), row.text);
        EXPECT_EQ((HandshakeFailure{row.code, make_error_code(asio::error::eof)}.reason()), row.text);
    }
}

TEST(NetErrors, EveryCodeHasAMessage) {
    for (int code = 1; code <= static_cast<int>(Errc::mse_error); ++code)
        EXPECT_NE(error_category().message(code), "unknown net error") << code;
    EXPECT_EQ(error_category().message(0), "unknown net error");
}

TEST(NetErrors, OtherErrorsAreNamedAfterTheCause) {
    const std::error_code pipe = make_error_code(std::errc::broken_pipe);
    EXPECT_EQ((HandshakeFailure{Errc::handshake_error, pipe}.reason()), "handshake: " + pipe.message());
    EXPECT_EQ((HandshakeFailure{Errc::mse_handshake_error, pipe}.reason()),
              "mse: handshake: " + pipe.message());
    EXPECT_EQ((HandshakeFailure{Errc::mse_error, mse::Errc::invalid_params, true}.reason()),
              "mse: invalid MSE handshake parameters");
}

TEST(NetErrors, TimeoutsAreTheDeadlineCodes) {
    for (auto code : {Errc::connect_timeout, Errc::handshake_timeout, Errc::handshake_timeout_before_key,
                      Errc::mse_handshake_timeout, Errc::mse_timeout_before_ya})
        EXPECT_TRUE(is_timeout(code)) << make_error_code(code).message();
    for (auto code : {Errc::connect_failed, Errc::closed_during_handshake, Errc::mse_closed_during_handshake,
                      Errc::mse_no_sync, Errc::handshake_error})
        EXPECT_FALSE(is_timeout(code)) << make_error_code(code).message();
    EXPECT_FALSE(is_timeout(make_error_code(std::errc::timed_out)));  // not a net::Errc
}

}  // namespace
}  // namespace bt::net
