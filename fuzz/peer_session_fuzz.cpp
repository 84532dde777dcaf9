// PeerSession fuzz target: the fuzzer plays a connected peer. The input's first byte picks our side's
// state (seeding or not, the fast extension, serving metadata over ut_metadata); the rest is the peer's byte
// stream, framed by a real wire::MessageReader and fed to the session, with the clock advancing and uploads
// served as the I/O layer would. Oracles:
//   - nothing crashes or throws, whatever the peer sends;
//   - what the session holds stays bounded: queued uploads, the request counter (it always equals the
//     requests outstanding), the outbox (drained as a socket would), the metadata requests waiting and the
//     answers refilled right after a drain, the peer's allowed fast pieces and suggestions (BEP 6);
//   - the picker's bookkeeping stays consistent, and closing gives back every request and the availability.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "swarm/peer_session.hpp"
#include "swarm/swarm.hpp"
#include "wire/message_reader.hpp"

namespace {

using namespace bt;
using namespace bt::swarm;

constexpr std::uint32_t kPieces = 13;
constexpr std::uint32_t kPieceLength = 32 * 1024;  // 2 blocks
constexpr std::uint32_t kMaxQueued = 16;

void check(bool ok) {
    if (!ok) std::abort();
}

struct Host final : SwarmHost {
    void store_block(const Block&, std::span<const std::uint8_t>) override {}
    void on_piece_complete(PieceIndex piece) override { completed.push_back(piece); }
    bool disk_backlogged() const override { return false; }
    void on_peer_closed(PeerSession&, const CloseReason&) override {}
    void on_corrupt_peer_banned(const Endpoint&) override {}
    std::vector<PieceIndex> completed;
};

struct Io final : PeerIo {
    void on_output() override {}
    void on_upload_ready() override {}
    void on_closed(const CloseReason&) override {}
    void on_extension_handshake(bool) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const std::span<const std::uint8_t> stream(data + 1, size - 1);

    PickerConfig config;
    config.num_pieces = kPieces;
    config.piece_length = kPieceLength;
    config.total_size = std::uint64_t{kPieces - 1} * kPieceLength + 1000;
    auto picker = PiecePicker::create(config);
    check(picker.has_value());
    SwarmSettings settings;
    wire::set_extension_protocol(settings.reserved);
    wire::set_fast_extension(settings.reserved, (mode & 1) != 0);
    settings.peer.max_incoming_requests = kMaxQueued;
    settings.max_requests_in_flight = 64;
    Host host;
    Swarm swarm(host, std::move(*picker), settings, 1);
    const std::vector<std::uint8_t> metadata(2 * 16 * 1024 + 500, 'm');  // 3 ut_metadata pieces
    if ((mode & 16) != 0) swarm.serve_metadata(metadata);
    if ((mode & 2) != 0) {
        for (std::uint32_t i = 0; i < kPieces; i += (mode & 4) != 0 ? 2 : 1) {
            swarm.picker().on_piece_verified(PieceIndex{i});
        }
    }
    wire::Handshake remote{};
    remote.reserved = settings.reserved;
    remote.peer_id.fill('p');
    Io io;
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    std::optional<PeerSession> session;
    session.emplace(swarm, PeerId{1}, io, Endpoint::v4({127, 0, 0, 2}, 6881), remote, now);
    session->start();
    if ((mode & 8) != 0) session->set_choking(false);

    wire::MessageReader reader(kPieces);
    std::vector<std::uint8_t> out;
    std::vector<std::uint8_t> block(kPieceLength);
    // The stream arrives in chunks whose sizes come from the data itself, as a socket would split it.
    std::size_t offset = 0;
    while (offset < stream.size() && !session->is_closed()) {
        const std::size_t chunk = std::min<std::size_t>(stream.size() - offset, 1 + stream[offset] % 97);
        reader.feed(stream.subspan(offset, chunk));
        offset += chunk;
        for (;;) {
            auto item = reader.next();
            if (!item) {
                session->on_protocol_error(item.error().message());
                break;
            }
            if (std::holds_alternative<wire::NeedMore>(*item)) break;
            const auto frame = reader.last_frame().size();
            if (const auto* m = std::get_if<wire::Message>(&*item)) {
                session->on_message(*m, frame, now);
            } else {
                session->on_unknown_message(frame, now);
            }
            if (session->is_closed()) break;
        }
        // Serve what it asks of the disk, drain its outbox, let time pass.
        while (auto b = session->next_upload()) {
            check(b->length <= block.size());
            session->on_block_read(*b, std::span(block).first(b->length));
        }
        session->take_output(out);
        // Only metadata answers that waited for room are queued right after a drain.
        check(session->output_size() <= kMetadataSendBuffer + 17 * 1024);
        check(session->queued_metadata_requests() <= kMaxQueuedMetadataRequests);
        now += std::chrono::seconds(7);
        swarm.tick(now);
        check(session->queued_uploads() <= kMaxQueued);
        check(session->allowed_fast().size() <= kMaxAllowedFastSet);
        check(session->suggested().size() <= kMaxSuggestedPieces);
        check(swarm.request_budget() + session->requests_in_flight() == settings.max_requests_in_flight);
        check(swarm.picker().check_invariants());
    }
    session.reset();
    check(swarm.request_budget() == settings.max_requests_in_flight);
    check(swarm.picker().availability(PieceIndex{0}) == 0);
    check(swarm.picker().check_invariants());
    return 0;
}
