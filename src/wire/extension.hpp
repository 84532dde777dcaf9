#pragma once
// The extension protocol's handshake (BEP 10): the payload of extended message 0, a bencoded dictionary.
// https://www.bittorrent.org/beps/bep_0010.html
//
// BEP 10: "The handshake message payload is a bencoded dictionary. All items in the dictionary are
// optional." Decoding is therefore strict about the envelope (a size bound, valid bencode, a dictionary
// at the top) and lenient inside it: unknown keys, optional keys of the wrong type and values out of range
// are skipped, as real clients do, so that one odd field never costs a connection.
//
// Keys read (every one optional):
//   m              "Dictionary of supported extension messages which maps names of extensions to an
//                  extended message ID for each extension message. [...] Setting an extension number to
//                  zero means that the extension is not supported/disabled."  IDs 0..255; names of at
//                  most kMaxExtensionNameSize bytes; at most kMaxExtensionMessages entries (the first ones
//                  in the payload's order are kept).
//   v              "Client name and version (as a utf-8 string)". Kept as sent, cut to kMaxClientNameSize
//                  bytes; not sanitized (bt::printable makes it safe for logs).
//   p              "Local TCP listen port": 1..65535.
//   reqq           "The number of outstanding request messages this client supports without dropping
//                  any. The default in in libtorrent is 250." 1.. (values above 2^32-1 read as 2^32-1).
//   yourip         "the IP address of the receiving end, as the sending end sees it": 4 or 16 bytes.
//   ipv4 / ipv6    the sender's own address: 4 / 16 bytes.
//   metadata_size  BEP 9, the info dictionary's size in bytes: 1.. (checked by whoever fetches metadata).
//
// encode_extension_handshake writes every field that is set, so decoding its output gives back the same
// ExtensionHandshake (the round trip the fuzzer checks).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bencode/decode.hpp"
#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace bt::wire {

// BEP 10: "0 = handshake, >0 = extended message as specified by the handshake."
inline constexpr std::uint8_t kExtendedHandshakeId = 0;
// BEP 10 on reqq: "The default in in libtorrent is 250." Assumed for peers that do not say.
inline constexpr std::uint32_t kDefaultPeerRequestQueue = 250;

// Bounds on what a peer's handshake may make us hold. Real handshakes are a few hundred bytes with fewer
// than 20 extension names; these leave ample room.
inline constexpr std::size_t kMaxExtensionHandshakeSize = 16 * 1024;
inline constexpr std::size_t kMaxExtensionMessages = 128;
inline constexpr std::size_t kMaxExtensionNameSize = 64;
inline constexpr std::size_t kMaxClientNameSize = 64;
// Bencode limits for the payload: two levels are all BEP 10 uses (the top dict and 'm').
inline constexpr bencode::Limits kExtensionHandshakeLimits{
    .max_depth = 16, .max_values = 4096, .allow_unsorted_keys = true};

struct ExtensionHandshake {
    // 'm': extension name -> the ID the sender wants to receive it as; 0 (disabled) entries are kept, since
    // in a later handshake they turn an extension off.
    std::map<std::string, std::uint8_t, std::less<>> messages;
    std::optional<std::string> client;           // 'v'
    std::optional<std::uint16_t> listen_port;    // 'p'
    std::optional<std::uint32_t> request_queue;  // 'reqq'
    // Addresses have port 0.
    std::optional<Endpoint> your_ip;             // 'yourip'
    std::optional<Endpoint> ipv4;                // 'ipv4' (always a v4 Endpoint)
    std::optional<Endpoint> ipv6;                // 'ipv6' (always a v6 Endpoint)
    std::optional<std::uint64_t> metadata_size;  // 'metadata_size' (BEP 9)

    friend bool operator==(const ExtensionHandshake&, const ExtensionHandshake&) = default;
};

struct ExtensionHandshakeError {
    enum class Kind : std::uint8_t {
        too_large = 1,     // payload above kMaxExtensionHandshakeSize
        bad_bencode,       // not one well-formed bencoded value (see bencode_error)
        not_a_dictionary,  // valid bencode, but not a dictionary
    };
    Kind kind = Kind::bad_bencode;
    std::size_t size = 0;                               // payload size
    std::optional<bencode::DecodeError> bencode_error;  // for bad_bencode
    std::optional<bencode::Value::Type> found_type;     // for not_a_dictionary
    // e.g. "extended handshake is not valid bencode: leading zero in number at byte 12"
    std::string message() const;
};

Result<ExtensionHandshake, ExtensionHandshakeError> decode_extension_handshake(std::string_view payload);
Result<ExtensionHandshake, ExtensionHandshakeError> decode_extension_handshake(
    std::span<const std::uint8_t> payload);

// The bencoded payload of extended message 0 (without the extended id byte): 'm' (possibly empty), then
// the fields that are set; a client name longer than kMaxClientNameSize is cut.
std::string encode_extension_handshake(const ExtensionHandshake& handshake);

// bt::printable(name) (core/printable.hpp), for log lines. Kept for src/session/peer_connection.cpp until it
// calls bt::printable itself; new code should call that directly.
std::string printable_client_name(std::string_view name);

// What a peer has told us in its extended handshakes so far. BEP 10: "Subsequent handshake messages can
// be used to enable/disable extensions without restarting the connection. [...] the m dictionary is
// additive. It's sufficient that it contains the actual CHANGES to the extension list." Other fields
// likewise keep their last value until a handshake carries them again.
class PeerExtensions {
  public:
    void apply(const ExtensionHandshake& handshake);

    bool has_handshake() const noexcept { return handshakes_ > 0; }
    std::uint32_t handshakes() const noexcept { return handshakes_; }
    // The ID to send extension `name` with; nullopt when the peer has not enabled it.
    std::optional<std::uint8_t> message_id(std::string_view name) const;
    // Enabled extensions (nonzero IDs only), at most kMaxExtensionMessages.
    const std::map<std::string, std::uint8_t, std::less<>>& messages() const noexcept { return messages_; }
    // 'v' as sent (bounded, not sanitized); empty until a handshake carries one.
    const std::string& client() const noexcept { return client_; }
    // 'reqq', or kDefaultPeerRequestQueue until a handshake carries one.
    std::uint32_t request_queue() const noexcept { return request_queue_; }
    const std::optional<std::uint16_t>& listen_port() const noexcept { return listen_port_; }
    const std::optional<Endpoint>& your_ip() const noexcept { return your_ip_; }
    const std::optional<std::uint64_t>& metadata_size() const noexcept { return metadata_size_; }

  private:
    std::map<std::string, std::uint8_t, std::less<>> messages_;
    std::string client_;
    std::uint32_t request_queue_ = kDefaultPeerRequestQueue;
    std::optional<std::uint16_t> listen_port_;
    std::optional<Endpoint> your_ip_;
    std::optional<std::uint64_t> metadata_size_;
    std::uint32_t handshakes_ = 0;
};

}  // namespace bt::wire
