// A torrent's life through the session API, between real sessions over loopback (session_fixture.hpp): stop
// and resume mid-download, verify, remove with and without the data, a torrent added before its metadata,
// and settings changed while it runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <filesystem>
#include <fstream>

#include "net/spawn.hpp"
#include "session/session_fixture.hpp"
#include "storage/resume_store.hpp"

namespace bt::session::test {
namespace {

namespace fs = std::filesystem;
using State = TorrentState;

constexpr std::int64_t kPiece = 16 * 1024;
// Enough pieces (512) that a stop after the first few verified lands well before the end.
const std::vector<FileSpec> kContent = {{"a.bin", 5 * 1024 * 1024 + 3}, {"sub/b.bin", 3 * 1024 * 1024}};

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// An HTTP tracker on 127.0.0.1 that answers every announce with no peers and records each request line.
struct TrackerStub : std::enable_shared_from_this<TrackerStub> {
    explicit TrackerStub(asio::io_context& io)
        : acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/announce";
    }
    void start() {
        net::spawn(acceptor.get_executor(), serve(shared_from_this()),
                   [](const std::string& failure) { ADD_FAILURE() << failure; });
    }
    static asio::awaitable<void> serve(std::shared_ptr<TrackerStub> self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor.async_accept(use_nothrow);
            if (ec) co_return;
            asio::streambuf head;
            auto [read_ec, n] = co_await asio::async_read_until(socket, head, "\r\n", use_nothrow);
            if (read_ec) continue;
            self->requests.emplace_back(asio::buffers_begin(head.data()),
                                        asio::buffers_begin(head.data()) + n);
            static const std::string body = "d8:intervali1800e5:peers0:e";
            const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                         "\r\nConnection: close\r\n\r\n" + body;
            co_await asio::async_write(socket, asio::buffer(response), use_nothrow);
        }
    }
    std::size_t count(std::string_view event) const {
        return static_cast<std::size_t>(std::count_if(
            requests.begin(), requests.end(),
            [&](const auto& line) { return line.find("event=" + std::string(event)) != std::string::npos; }));
    }
    asio::ip::tcp::acceptor acceptor;
    std::vector<std::string> requests;
};

class SessionLifecycle : public SessionFixture {
  protected:
    // Runs `job` on the fixture's io_context until it has finished.
    testing::AssertionResult finish(asio::awaitable<void> job, std::string_view what) {
        bool done = false;
        net::spawn(
            io_,
            [](asio::awaitable<void> inner, bool& flag) -> asio::awaitable<void> {
                co_await std::move(inner);
                flag = true;
            }(std::move(job), done),
            [](const std::string& failure) { ADD_FAILURE() << failure; });
        return run_until([&] { return done; }, what);
    }

    testing::AssertionResult remove(Session& session, TorrentId id, RemoveData data,
                                    Result<void, std::string>& result) {
        return finish(
            [](Session& s, TorrentId i, RemoveData d,
               Result<void, std::string>& out) -> asio::awaitable<void> {
                out = co_await s.remove_torrent(i, d);
            }(session, id, data, result),
            "remove_torrent");
    }

    // States recorded since index `from`.
    std::vector<State> states_since(const Torrent& torrent, std::size_t from) {
        const auto& all = states(torrent);
        return {all.begin() + static_cast<std::ptrdiff_t>(std::min(from, all.size())), all.end()};
    }

    static std::string resume_record(const Node& node, const metainfo::Metainfo& metainfo) {
        return storage::resume_path(node.records.path(), node.path(), metainfo.info_hash.bytes);
    }
};

TEST_F(SessionLifecycle, StopMidDownloadThenResumeGoesOnWithThePiecesItHadWithoutChecking) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 11);
    start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until([&] { return leech.status().pieces_have >= 4; }, "a few pieces"));

    ASSERT_TRUE(finish(leech.stop(), "stop"));
    const auto stopped = leech.status();
    EXPECT_EQ(stopped.state, State::stopped);
    EXPECT_EQ(stopped.peers_connected, 0u);
    ASSERT_LT(stopped.pieces_have, metainfo.num_pieces()) << "the download ended before the stop";
    EXPECT_TRUE(fs::exists(resume_record(leecher, metainfo))) << "stop saves the resume record";

    const auto before_resume = states(leech).size();
    leech.resume();
    EXPECT_TRUE(run_until_seeding({&leech}));
    EXPECT_EQ(states_since(leech, before_resume), (std::vector{State::downloading, State::seeding}))
        << "a resume after a clean stop does not check again";
    EXPECT_GE(leech.status().stats.pieces_verified, metainfo.num_pieces() - stopped.pieces_have);
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", leecher.path() + "/content"));
}

TEST_F(SessionLifecycle, FilesWantedLaterAreDownloadedWithoutFetchingWhatThePartFileHolds) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    // Edges inside pieces: a's last piece holds b's first bytes, b's last piece c's first.
    const std::vector<FileSpec> files = {
        {"a.bin", 100 * 1024 + 5}, {"b.bin", 70 * 1024 + 9}, {"c.bin", 50 * 1024}};
    const auto metainfo = make_torrent(seeder.path(), "three", files, kPiece, 21);
    start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    EXPECT_EQ(leech.status().pieces_wanted_left, metainfo.num_pieces()) << "not started: nothing is known";
    using metainfo::FilePriority;
    leech.set_file_priorities({FilePriority::skip, FilePriority::normal, FilePriority::skip});
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until_seeding({&leech}));
    EXPECT_TRUE(leech.status().files_skipped);
    EXPECT_FALSE(fs::exists(leecher.path() + "/three/a.bin"));
    EXPECT_FALSE(fs::exists(leecher.path() + "/three/c.bin"));
    EXPECT_EQ(read_all(leecher.path() + "/three/b.bin"), read_all(seeder.path() + "/three/b.bin"));

    // c wanted while stopped: the resume applies it.
    ASSERT_TRUE(finish(leech.stop(), "stop"));
    leech.set_file_priorities({FilePriority::skip, FilePriority::normal, FilePriority::normal});
    leech.add_peers({seeder.endpoint()}, true);
    leech.resume();
    ASSERT_TRUE(run_until([&] { return leech.status().state == State::seeding; }, "seeding b and c"));
    EXPECT_FALSE(fs::exists(leecher.path() + "/three/a.bin"));
    EXPECT_EQ(read_all(leecher.path() + "/three/c.bin"), read_all(seeder.path() + "/three/c.bin"));

    // Every file wanted while it seeds: it downloads again, only the pieces it lacks.
    const auto before = states(leech).size();
    leech.set_file_priorities({});
    ASSERT_TRUE(run_until([&] { return states(leech).size() >= before + 2; }, "downloading, then seeding"));
    EXPECT_EQ(std::vector(states(leech).begin() + static_cast<std::ptrdiff_t>(before), states(leech).end()),
              (std::vector{State::downloading, State::seeding}));
    EXPECT_TRUE(compare_trees(seeder.path() + "/three", leecher.path() + "/three"));
    EXPECT_EQ(leech.status().stats.payload_downloaded, static_cast<std::uint64_t>(metainfo.total_size))
        << "a piece was fetched twice";
}

TEST_F(SessionLifecycle, AResumeWhileTheStopIsFinishingTakesEffectAfterIt) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 12);
    start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until([&] { return leech.status().pieces_have >= 1; }, "a piece"));
    bool stop_returned = false;
    net::spawn(
        io_,
        [](Torrent& t, bool& flag) -> asio::awaitable<void> {
            co_await t.stop();
            flag = true;
        }(leech, stop_returned),
        [](const std::string& failure) { ADD_FAILURE() << failure; });
    ASSERT_TRUE(run_until([&] { return leech.status().peers_connected == 0; }, "stop began"));
    leech.resume();  // the stop is still saving and closing files
    EXPECT_TRUE(run_until_seeding({&leech}));
    EXPECT_TRUE(stop_returned);
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", leecher.path() + "/content"));
}

TEST_F(SessionLifecycle, AStopDuringTheStartUpCheckThenAResumeStillFindsEveryPiece) {
    auto& seeder = add_node("seeder");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 13);
    auto& seed = add_torrent(seeder, metainfo);
    seed.start();
    EXPECT_EQ(seed.status().state, State::checking);
    ASSERT_TRUE(finish(seed.stop(), "stop while checking"));  // cancels the check, or finds it done
    EXPECT_EQ(seed.status().state, State::stopped);
    seed.resume();
    ASSERT_TRUE(run_until_seeding({&seed}));
    EXPECT_EQ(seed.status().pieces_have, metainfo.num_pieces());
}

// Bit rot: a byte changes and the file's modification time does not, so the resume record still vouches
// for the piece and a restart would trust it. Only verify finds it.
TEST_F(SessionLifecycle, VerifyFindsAPieceTheResumeRecordVouchesForAndDownloadsItAgain) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 14);
    start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until_seeding({&leech}));
    ASSERT_TRUE(finish(leech.stop(), "stop"));

    const auto file = leecher.path() + "/content/sub/b.bin";
    struct stat before {};
    ASSERT_EQ(::stat(file.c_str(), &before), 0);
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100'000);
        const char c = static_cast<char>(f.get());
        f.seekp(100'000);
        f.put(static_cast<char>(c ^ 0x5a));
    }
    const timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);

    // Verify of a stopped torrent: it checks and stays stopped, one piece short.
    const auto before_verify = states(leech).size();
    ASSERT_TRUE(finish(leech.verify(), "verify"));
    ASSERT_TRUE(run_until([&] { return leech.status().state == State::stopped; }, "verified"));
    EXPECT_EQ(states_since(leech, before_verify), (std::vector{State::checking, State::stopped}));
    EXPECT_EQ(leech.status().pieces_have, metainfo.num_pieces() - 1);

    // Running again, the piece comes back from the seeder; a restart would not have noticed it.
    leech.resume();
    ASSERT_TRUE(run_until_seeding({&leech}));
    EXPECT_EQ(leech.status().pieces_have, metainfo.num_pieces());
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", leecher.path() + "/content"));
}

TEST_F(SessionLifecycle, VerifyOfARunningTorrentRunsAgainAfterTheCheck) {
    auto& seeder = add_node("seeder");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 15);
    auto& seed = start_seeding(seeder, metainfo);
    const auto before_verify = states(seed).size();
    ASSERT_TRUE(finish(seed.verify(), "verify"));
    ASSERT_TRUE(run_until_seeding({&seed}));
    EXPECT_EQ(states_since(seed, before_verify),
              (std::vector{State::stopped, State::checking, State::seeding}));
    const auto status = seed.status();
    EXPECT_EQ(status.pieces_have, metainfo.num_pieces());
    EXPECT_EQ(status.stats.pieces_rechecked, metainfo.num_pieces()) << "every piece hashed, none trusted";
    EXPECT_EQ(status.stats.pieces_from_resume, 0u);
}

TEST_F(SessionLifecycle, RemoveWithTheDataDeletesItsFilesAndRecordAndNothingElse) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 16);
    start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until_seeding({&leech}));
    ASSERT_TRUE(finish(leech.stop(), "stop"));  // the record is saved
    leech.resume();
    ASSERT_TRUE(run_until_seeding({&leech}));
    std::ofstream(leecher.path() + "/mine.txt") << "the user's own file";
    const auto id = leech.id();

    Result<void, std::string> removed = fail(std::string("not run"));
    ASSERT_TRUE(remove(*leecher.session, id, RemoveData::erase, removed));
    ASSERT_TRUE(removed) << removed.error();
    EXPECT_FALSE(fs::exists(leecher.path() + "/content"));
    EXPECT_FALSE(fs::exists(resume_record(leecher, metainfo)));
    EXPECT_TRUE(fs::exists(leecher.path() + "/mine.txt"));
    EXPECT_EQ(leecher.session->find_torrent(id), nullptr);
    EXPECT_TRUE(leecher.session->torrents().empty());
    EXPECT_TRUE(run_until([&] { return seeder.session->torrents()[0]->status().peers_connected == 0; },
                          "the seeder sees the peer go"));

    ASSERT_TRUE(remove(*leecher.session, id, RemoveData::erase, removed));
    EXPECT_FALSE(removed) << "a second remove of the same id";
}

TEST_F(SessionLifecycle, RemoveKeepingTheDataLeavesTheFilesAndTheTorrentCanBeAddedAgain) {
    auto& seeder = add_node("seeder");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 17);
    auto& seed = start_seeding(seeder, metainfo);
    Result<void, std::string> removed = fail(std::string("not run"));
    ASSERT_TRUE(remove(*seeder.session, seed.id(), RemoveData::keep, removed));
    ASSERT_TRUE(removed) << removed.error();
    EXPECT_TRUE(fs::exists(seeder.path() + "/content/a.bin"));

    auto& again = start_seeding(seeder, metainfo);
    EXPECT_NE(again.id(), TorrentId{1}) << "ids are never reused";
    EXPECT_EQ(again.status().stats.pieces_from_resume, metainfo.num_pieces()) << "the record was kept";
}

// Reads for upload and piece writes are in flight when the torrent goes: they end against a live torrent
// (under AddressSanitizer this is a use-after-free if anything still points at a destroyed one).
TEST_F(SessionLifecycle, RemoveMidTransferOnBothSidesLeavesNothingRunning) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 18);
    auto& seed = start_seeding(seeder, metainfo);
    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(run_until([&] { return leech.status().pieces_have >= 2; }, "a few pieces"));
    Result<void, std::string> seed_removed = fail(std::string("not run"));
    Result<void, std::string> leech_removed = fail(std::string("not run"));
    bool seed_done = false;
    net::spawn(
        io_,
        [](Session& s, TorrentId id, Result<void, std::string>& out, bool& done) -> asio::awaitable<void> {
            out = co_await s.remove_torrent(id, RemoveData::keep);
            done = true;
        }(*seeder.session, seed.id(), seed_removed, seed_done),
        [](const std::string& failure) { ADD_FAILURE() << failure; });
    ASSERT_TRUE(remove(*leecher.session, leech.id(), RemoveData::erase, leech_removed));
    ASSERT_TRUE(run_until([&] { return seed_done; }, "the seeder's remove"));
    EXPECT_TRUE(seed_removed) << seed_removed.error();
    EXPECT_TRUE(leech_removed) << leech_removed.error();
    EXPECT_FALSE(fs::exists(leecher.path() + "/content"));
    EXPECT_TRUE(stop_all()) << "the removed torrents' coroutines all end";
}

TEST_F(SessionLifecycle, ATorrentAddedBeforeItsMetadataDownloadsOnceItIsGiven) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 19);
    const auto other = make_torrent(seeder.path(), "other", {{"x.bin", 40'000}}, kPiece, 20);
    start_seeding(seeder, metainfo);

    TorrentParams params;
    params.info_hash = metainfo.info_hash.bytes;
    params.name = "from a magnet link";
    params.download_dir = leecher.path();
    auto& leech = add_torrent(leecher, std::move(params));
    EXPECT_FALSE(leech.has_metadata());
    EXPECT_EQ(leech.name(), "from a magnet link");
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    EXPECT_EQ(leech.status().state, State::metadata);
    EXPECT_EQ(leech.status().total_size, 0);

    auto wrong = leech.set_metadata(other);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().find("another torrent"), std::string::npos) << wrong.error();
    EXPECT_FALSE(leech.has_metadata());

    auto again = leecher.session->add_torrent(metainfo, leecher.path());
    ASSERT_FALSE(again) << "the same info hash twice";

    ASSERT_TRUE(leech.set_metadata(metainfo));
    EXPECT_EQ(leech.name(), "content");
    EXPECT_FALSE(leech.set_metadata(metainfo)) << "metadata is given once";
    ASSERT_TRUE(run_until_seeding({&leech}));
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", leecher.path() + "/content"));
}

TEST_F(SessionLifecycle, ANewListenPortIsBoundAtOnceAndPeersReachIt) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 21);
    start_seeding(seeder, metainfo);
    const auto old_port = seeder.session->listen_port();

    std::uint16_t free_port = 0;
    {
        asio::ip::tcp::acceptor probe(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        free_port = probe.local_endpoint().port();
    }
    auto settings = seeder.session->settings();
    settings.listen_port = free_port;
    settings.max_peers = 7;
    ASSERT_TRUE(seeder.session->apply_settings(settings));
    EXPECT_EQ(seeder.session->listen_port(), free_port);
    EXPECT_NE(free_port, old_port);
    EXPECT_EQ(seeder.session->settings().max_peers, 7u);

    auto taken = seeder.session->settings();
    taken.listen_port = leecher.session->listen_port();  // in use: the old socket stays
    taken.max_peers = 9;
    EXPECT_FALSE(seeder.session->apply_settings(taken));
    EXPECT_EQ(seeder.session->settings().max_peers, 7u) << "nothing applied when the port cannot be bound";

    auto& leech = add_torrent(leecher, metainfo);
    leech.add_peers({seeder.endpoint()}, true);  // the new port
    leech.start();
    ASSERT_TRUE(run_until_seeding({&leech}));
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", leecher.path() + "/content"));
}

// Found in review: the 'stopped' announce of verify's stop left the announcer with nothing due, so the
// torrent never announced again.
TEST_F(SessionLifecycle, AfterAVerifyTheTorrentAnnouncesStartedAgain) {
    auto tracker = std::make_shared<TrackerStub>(io_);
    tracker->start();
    auto& seeder = add_node("seeder");
    auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 22);
    metainfo.trackers = {{tracker->url()}};
    auto& seed = start_seeding(seeder, metainfo);
    ASSERT_TRUE(run_until([&] { return seed.status().announces_ok == 1; }, "announced started"));
    EXPECT_EQ(tracker->count("started"), 1u);
    ASSERT_TRUE(finish(seed.verify(), "verify"));
    ASSERT_TRUE(run_until_seeding({&seed}));
    ASSERT_TRUE(run_until([&] { return tracker->count("started") == 2; }, "announced started again"));
    EXPECT_EQ(tracker->count("stopped"), 1u) << testing::PrintToString(tracker->requests);
    tracker->acceptor.close();  // its accept loop ends (the session's last 'stopped' finds nobody)
}

// Scale: a torrent runs no DHT loop while the DHT is off. Turned on while it runs, the torrent starts its
// lookups at once; turned off and on again, it does so again. No node is known (no bootstrap): each lookup
// ends at once with nobody asked, and nothing leaves 127.0.0.1.
TEST_F(SessionLifecycle, ATorrentStartsItsDhtLookupsWhenTheDhtIsTurnedOnWhileItRuns) {
    auto settings = test_settings();
    settings.dht = false;
    settings.dht_bootstrap.clear();
    auto& node = add_node("node", settings, true);
    settings.dht_state_file = node.records.path() + "/dht.state";
    const auto metainfo = make_torrent(node.path(), "content", {{"", 64 * 1024}}, kPiece, 24);
    auto& seed = start_seeding(node, metainfo);
    ASSERT_EQ(node.session->dht(), nullptr);
    for (int round = 0; round < 2; ++round) {
        settings.dht = true;
        ASSERT_TRUE(node.session->apply_settings(settings));
        ASSERT_NE(node.session->dht(), nullptr) << "round " << round;
        ASSERT_TRUE(run_until(
            [&] {
                const auto stats = node.session->dht()->stats();
                return stats.lookups_done + stats.lookups_running >= 1;
            },
            "a lookup once the DHT is on"));
        settings.dht = false;
        ASSERT_TRUE(node.session->apply_settings(settings));
        ASSERT_EQ(node.session->dht(), nullptr);
    }
    EXPECT_EQ(seed.state(), State::seeding);
}

// Found in review: two stops in a row (here: two verifies at once, and the session's stop during them) must
// all return; a waiter used to sleep through the end of the stop it waited for.
TEST_F(SessionLifecycle, ConcurrentVerifiesAndAStopAllReturn) {
    auto& seeder = add_node("seeder");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 23);
    auto& seed = start_seeding(seeder, metainfo);
    int returned = 0;
    for (int i = 0; i < 2; ++i) {
        net::spawn(
            io_,
            [](Torrent& t, int& count) -> asio::awaitable<void> {
                co_await t.verify();
                ++count;
            }(seed, returned),
            [](const std::string& failure) { ADD_FAILURE() << failure; });
    }
    ASSERT_TRUE(run_until([&] { return returned == 2; }, "both verifies returned"));
    ASSERT_TRUE(run_until_seeding({&seed}));
    EXPECT_EQ(seed.status().pieces_have, metainfo.num_pieces());
    ASSERT_TRUE(finish(seed.verify(), "a third verify"));
    EXPECT_TRUE(stop_all()) << "the session's stop returns while the verify's check runs";
}

// Torrents started together check a few at a time (session/check_queue.hpp); one stopped while it waits
// for its turn stays stopped (its check never runs) and one removed meanwhile is simply gone.
TEST_F(SessionLifecycle, TorrentsStartedTogetherCheckAFewAtATimeAndAStopOrRemoveWhileWaitingHolds) {
    auto settings = test_settings();
    settings.disk_threads = 2;  // two check slots
    auto& seeder = add_node("seeder", settings);
    std::vector<metainfo::Metainfo> metainfos;
    std::vector<Torrent*> torrents;
    for (int i = 0; i < 6; ++i) {
        metainfos.push_back(make_torrent(seeder.path(), "t" + std::to_string(i), {{"", 4 * kPiece + 5}},
                                         kPiece, 100 + static_cast<std::uint64_t>(i)));
        torrents.push_back(&add_torrent(seeder, metainfos.back()));
    }
    for (auto* t : torrents) t->start();
    for (auto* t : torrents) EXPECT_EQ(t->status().state, State::checking);
    EXPECT_EQ(seeder.session->checks().running(), 2u);
    EXPECT_EQ(seeder.session->checks().waiting(), 4u);

    auto& stopped = *torrents[5];
    const auto stopped_from = states(stopped).size();
    const auto removed_id = torrents[4]->id();
    Result<void, std::string> removed = fail(std::string("not run"));
    ASSERT_TRUE(remove(*seeder.session, removed_id, RemoveData::keep, removed));
    ASSERT_TRUE(removed) << removed.error();
    ASSERT_TRUE(finish(stopped.stop(), "stop while waiting for a check"));
    const std::vector<Torrent*> others(torrents.begin(), torrents.begin() + 4);
    ASSERT_TRUE(run_until_seeding(others));
    ASSERT_TRUE(run_until([&] { return seeder.session->checks().running() == 0; }, "every slot given back"));
    EXPECT_EQ(seeder.session->checks().waiting(), 0u);
    EXPECT_EQ(stopped.status().state, State::stopped);
    EXPECT_EQ(states_since(stopped, stopped_from), std::vector<State>{State::stopped});
    EXPECT_EQ(seeder.session->find_torrent(removed_id), nullptr);

    stopped.resume();
    ASSERT_TRUE(run_until_seeding({&stopped}));
    EXPECT_EQ(stopped.status().pieces_have, metainfos[5].num_pieces());
}

// Found in review: a peer that handshakes for a torrent with no swarm yet (added but not started, or without
// metadata) crashed the process when the refusal was counted.
TEST_F(SessionLifecycle, APeerForATorrentNotStartedIsRefusedAndAMagnetGetsTheMetadataFromIt) {
    auto& seeder = add_node("seeder");
    auto& idle = add_node("idle");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 24);
    const auto magnet_only = make_torrent(seeder.path(), "other", {{"x.bin", 100'000}}, kPiece, 25);
    add_torrent(idle, metainfo);  // never started
    TorrentParams params;
    params.info_hash = magnet_only.info_hash.bytes;
    params.download_dir = idle.path();
    auto& fetching = add_torrent(idle, std::move(params));
    fetching.start();  // announcing, no metadata
    EXPECT_EQ(fetching.status().state, TorrentState::metadata);

    auto& one = start_seeding(seeder, metainfo);
    auto& two = start_seeding(seeder, magnet_only);
    one.add_peers({idle.endpoint()}, true);
    two.add_peers({idle.endpoint()}, true);
    ASSERT_TRUE(run_until(
        [&] {
            const auto& failures = idle.session->incoming_failures();
            const auto it = failures.find("torrent not accepting peers");
            return it != failures.end() && it->second >= 1 &&
                   fetching.status().state == TorrentState::seeding;
        },
        "the stopped torrent refused its peer; the magnet got the metadata from its own and completed"));
    ASSERT_TRUE(fetching.has_metadata());
    EXPECT_EQ(fetching.metainfo().info_hash.bytes, magnet_only.info_hash.bytes);
    EXPECT_EQ(read_all(idle.path() + "/other/x.bin"), read_all(seeder.path() + "/other/x.bin"));
    EXPECT_EQ(states(fetching),
              (std::vector{TorrentState::stopped, TorrentState::metadata, TorrentState::checking,
                           TorrentState::downloading, TorrentState::seeding}));
}

TEST_F(SessionLifecycle, AMagnetStoppedWhileFetchingItsMetadataGetsItAfterAResumeAndARemoveEndsIt) {
    auto& seeder = add_node("seeder");
    auto& leecher = add_node("leecher");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 27);
    const auto other = make_torrent(seeder.path(), "other", {{"y.bin", 70'000}}, kPiece, 28);
    start_seeding(seeder, metainfo);
    start_seeding(seeder, other);
    const auto magnet = [&](const metainfo::Metainfo& m) {
        TorrentParams params;
        params.info_hash = m.info_hash.bytes;
        params.download_dir = leecher.path();
        return params;
    };
    auto& leech = add_torrent(leecher, magnet(metainfo));
    leech.add_peers({seeder.endpoint()}, true);
    leech.start();
    ASSERT_TRUE(finish(leech.stop(), "a stop while the metadata is being fetched"));
    EXPECT_EQ(leech.status().state, State::stopped);
    EXPECT_EQ(leech.status().metadata_connected, 0u);
    EXPECT_FALSE(leech.has_metadata());
    leech.resume();
    ASSERT_TRUE(run_until_seeding({&leech}));
    EXPECT_TRUE(compare_trees(seeder.path() + "/content", leecher.path() + "/content"));

    auto& gone = add_torrent(leecher, magnet(other));
    gone.add_peers({seeder.endpoint()}, true);
    gone.start();
    Result<void, std::string> removed = fail(std::string("not run"));
    ASSERT_TRUE(remove(*leecher.session, gone.id(), RemoveData::erase, removed));
    EXPECT_TRUE(removed) << removed.error();
    EXPECT_FALSE(fs::exists(leecher.path() + "/other"));
    EXPECT_TRUE(stop_all()) << "the metadata connections' coroutines all end";
}

TEST_F(SessionLifecycle, ATorrentBeingRemovedCannotBeAddedAgainUntilItIsGone) {
    auto& seeder = add_node("seeder");
    const auto metainfo = make_torrent(seeder.path(), "content", kContent, kPiece, 26);
    auto& seed = start_seeding(seeder, metainfo);
    Result<void, std::string> removed = fail(std::string("not run"));
    bool done = false;
    net::spawn(
        io_,
        [](Session& s, TorrentId id, Result<void, std::string>& out, bool& flag) -> asio::awaitable<void> {
            out = co_await s.remove_torrent(id, RemoveData::erase);
            flag = true;
        }(*seeder.session, seed.id(), removed, done),
        [](const std::string& failure) { ADD_FAILURE() << failure; });
    ASSERT_TRUE(
        run_until([&] { return seeder.session->find_torrent(seed.id()) == nullptr; }, "remove began"));
    ASSERT_FALSE(done) << "the removal takes a stop and a deletion";
    auto early = seeder.session->add_torrent(metainfo, seeder.path());
    ASSERT_FALSE(early);
    EXPECT_NE(early.error().find("being removed"), std::string::npos) << early.error();
    ASSERT_TRUE(run_until([&] { return done; }, "removed"));
    ASSERT_TRUE(removed) << removed.error();
    EXPECT_FALSE(fs::exists(seeder.path() + "/content"));
    EXPECT_TRUE(seeder.session->add_torrent(metainfo, seeder.path())) << "gone: it may be added again";
}

}  // namespace
}  // namespace bt::session::test
