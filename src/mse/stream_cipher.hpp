#pragma once
// The per-connection cipher after a finished MSE handshake: two independent RC4 states, one per
// direction, positioned at the first stream byte (after IA for A->B, after PadD for B->A). When
// plaintext was selected both are absent and encrypt/decrypt do nothing.
#include <cstdint>
#include <optional>
#include <span>

#include "crypto/rc4.hpp"

namespace bt::mse {

class StreamCipher {
  public:
    StreamCipher() = default;  // plaintext
    StreamCipher(crypto::Rc4 send, crypto::Rc4 recv) : send_(std::move(send)), recv_(std::move(recv)) {}

    [[nodiscard]] bool is_encrypted() const noexcept { return send_.has_value(); }
    // In place, continuing the keystream of each direction.
    void encrypt(std::span<std::uint8_t> outgoing) noexcept {
        if (send_) send_->process(outgoing);
    }
    void decrypt(std::span<std::uint8_t> incoming) noexcept {
        if (recv_) recv_->process(incoming);
    }

  private:
    std::optional<crypto::Rc4> send_;
    std::optional<crypto::Rc4> recv_;
};

}  // namespace bt::mse
