#pragma once
// Real bitveil sessions in one process: each Session listens on 127.0.0.1 (port 0), its torrents read and
// write real files in a temporary folder, and peers reach each other over loopback TCP. Nothing is faked,
// so session-level behaviour (transfers, and next pause, resume, remove, verify, runtime settings) is
// tested with the real components. One io_context runs every session on the test's thread.
//
// Deterministic enough for CI: tests wait for a condition (run_until), never for a time; the bound is only
// there to fail a hung test with a readable dump of every torrent's status. Only 127.0.0.1 is ever dialled,
// and no torrent has a tracker: peers are given with Torrent::add_peers(..., true).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "metainfo/metainfo.hpp"
#include "session/session.hpp"
#include "session/settings.hpp"
#include "session/torrent.hpp"
#include "storage/temp_folders.hpp"

namespace bt::session::test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long run_until waits by default before it fails: far longer than any of these tests needs.
inline constexpr Clock::duration kDefaultBound = 30s;

// One file of a test torrent: its path below the torrent's root folder ("sub/dir/a.bin", '/'-separated)
// and its size. A single FileSpec with an empty path is a single-file torrent: the root is the file.
struct FileSpec {
    std::string path;
    std::int64_t size = 0;
};

// Writes `files` below `root` (folders created as needed), each filled from one generator seeded with
// `seed`: the same seed and files give the same bytes on every run.
void write_random_files(const std::filesystem::path& root, const std::vector<FileSpec>& files,
                        std::uint64_t seed);

// The torrent of the files below `root`, in the order of `files`, named after root's last component, with
// no trackers. The pieces are hashed here from plain reads of the files (not through bitveil's storage),
// then the .torrent is built (metainfo/torrent_builder) and parsed back. Fails the test on an error.
metainfo::Metainfo make_metainfo(const std::filesystem::path& root, const std::vector<FileSpec>& files,
                                 std::int64_t piece_length);

// write_random_files then make_metainfo: the content of a torrent named `name` in `parent`, which is
// then the download folder that holds it complete (a seeder's).
metainfo::Metainfo make_torrent(const std::filesystem::path& parent, const std::string& name,
                                const std::vector<FileSpec>& files, std::int64_t piece_length,
                                std::uint64_t seed);

// Settings for a test session: 127.0.0.1 port 0, and timeouts short enough that a failure shows quickly
// (connect, handshake, stop announce), though nothing waits for them when all goes well.
Settings test_settings();

// 127.0.0.1:port.
Endpoint loopback(std::uint16_t port);

// The whole file (empty when it cannot be read).
std::vector<char> read_all(const std::filesystem::path& path);

// Every file and folder below `a` is below `b` too, and the other way round, and each file has the same
// bytes. The failure lists the differences (the first few).
testing::AssertionResult compare_trees(const std::filesystem::path& a, const std::filesystem::path& b);

// A test that runs sessions. Each node is a Session with its own temporary folder; TearDown stops them all
// (stop_all) so that every test ends with a clean shutdown checked, whatever it did.
class SessionFixture : public testing::Test {
  protected:
    struct Node {
        std::string name;                        // in failure messages
        storage::test_support::TempDir dir;      // where its torrents download
        storage::test_support::TempDir records;  // its resume records (Settings::resume_dir)
        std::unique_ptr<Session> session;        // after the folders: destroyed before they are removed

        // Where the other sessions reach it: 127.0.0.1 and its listening port.
        Endpoint endpoint() const { return loopback(session->listen_port()); }
        const std::string& path() const { return dir.path(); }
    };

    SessionFixture();
    ~SessionFixture() override;
    // stop_all(), then destroys the sessions and runs what that leaves (nothing should be left).
    void TearDown() override;

    // A session named `name`, listening (fails the test if it cannot), with fresh temporary folders (its
    // resume records go to Node::records unless `settings` names a resume_dir). Its UDP socket is closed at
    // once unless `keep_udp` (a DHT test; the socket is bound to the settings' 127.0.0.1 like the listener).
    Node& add_node(const std::string& name, const Settings& settings = test_settings(),
                   bool keep_udp = false);
    // Adds the torrent to the node's session, downloading into the node's folder, without starting it.
    // The fixture takes the torrent's on_state_change callback to record its states (states()).
    Torrent& add_torrent(Node& node, const metainfo::Metainfo& metainfo);
    // The same from a torrent's description (a magnet link's: no metainfo).
    Torrent& add_torrent(Node& node, TorrentParams params);
    // add_torrent, start, and run until its check has found every piece and it seeds (a seeder's torrent,
    // ready before any leecher dials: one still checking turns peers away). Fails the test otherwise.
    Torrent& start_seeding(Node& node, const metainfo::Metainfo& metainfo);
    // The torrent's state when it was added, then each state it changed to, in order.
    const std::vector<TorrentState>& states(const Torrent& torrent) const;

    // Runs the io_context until `done()` holds (true), or fails once `bound` has passed, or when the
    // io_context runs out of work first, or a handler throws, with `what` and dump() in the message.
    testing::AssertionResult run_until(const std::function<bool()>& done, std::string_view what,
                                       Clock::duration bound = kDefaultBound);
    // Runs until every given torrent is seeding (or one of them fails: then at once).
    testing::AssertionResult run_until_seeding(const std::vector<Torrent*>& torrents,
                                               Clock::duration bound = kDefaultBound);

    // Stops every session (co_await Session::stop(), all at once), then runs the io_context until it has no
    // work left: a stopped session leaves nothing running. The sessions stay, stopped, for the test to
    // look at. Fails if the stops or the drain do not end within `bound`. Called by TearDown; a test may
    // call it first to check what stopping did. Runs once.
    testing::AssertionResult stop_all(Clock::duration bound = kDefaultBound);

    // Runs the io_context until it has no work left; fails after `bound`.
    testing::AssertionResult drain(Clock::duration bound);

    // Every node's torrents (status, state history, close reasons) and the sessions' incoming failures.
    std::string dump() const;

    asio::io_context io_;

  private:
    struct Recorded {
        const Torrent* torrent = nullptr;
        std::vector<TorrentState> states;
    };

    std::deque<Recorded> recorded_;  // a deque: the callbacks keep pointers into it
    std::deque<Node> nodes_;         // after io_ and recorded_: destroyed before them
    bool stopped_ = false;
    std::size_t stops_running_ = 0;  // Session::stop() coroutines of stop_all() not finished yet
    std::vector<std::string> stop_failures_;
};

std::string describe(const TorrentStatus& status);
std::string describe(const std::vector<TorrentState>& states);

}  // namespace bt::session::test
