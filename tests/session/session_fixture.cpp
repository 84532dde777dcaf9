#include "session/session_fixture.hpp"

#include <algorithm>
#include <asio/awaitable.hpp>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/log.hpp"
#include "crypto/sha1.hpp"
#include "metainfo/torrent_builder.hpp"
#include "net/spawn.hpp"

namespace bt::session::test {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(path);
    while (std::getline(in, part, '/')) parts.push_back(part);
    return parts;
}

fs::path file_path(const fs::path& root, const FileSpec& file) {
    return file.path.empty() ? root : root / file.path;
}

// BT_SESSION_TEST_LOG=info (or debug, trace) shows the sessions' log lines; warnings and errors show anyway.
void set_log_level_from_environment() {
    const char* env = std::getenv("BT_SESSION_TEST_LOG");
    if (env == nullptr) return;
    const std::string_view level(env);
    if (level == "trace") log::set_level(log::Level::trace);
    if (level == "debug") log::set_level(log::Level::debug);
    if (level == "info") log::set_level(log::Level::info);
    if (level == "error") log::set_level(log::Level::error);
}

asio::awaitable<void> stop_session(Session& session, std::size_t& running) {
    co_await session.stop();
    --running;
}

}  // namespace

void write_random_files(const fs::path& root, const std::vector<FileSpec>& files, std::uint64_t seed) {
    // std::mt19937_64's output is fixed by the standard (unlike the distributions): the same bytes anywhere.
    std::mt19937_64 random(seed);
    for (const auto& file : files) {
        const auto path = file_path(root, file);
        fs::create_directories(path.parent_path());
        std::vector<char> bytes(static_cast<std::size_t>(file.size));
        for (std::size_t i = 0; i < bytes.size(); i += 8) {
            const auto word = random();
            for (std::size_t j = 0; j < 8 && i + j < bytes.size(); ++j)
                bytes[i + j] = static_cast<char>(word >> (8 * j));
        }
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) ADD_FAILURE() << "cannot write " << path;
    }
}

metainfo::Metainfo make_metainfo(const fs::path& root, const std::vector<FileSpec>& files,
                                 std::int64_t piece_length) {
    metainfo::TorrentSpec spec;
    spec.name = root.filename().string();
    spec.piece_length = piece_length;
    spec.created_by = "bt_session_tests";
    // The torrent's data is the files one after the other: hashed in piece_length chunks across them.
    crypto::Sha1 hasher;
    std::int64_t in_piece = 0;
    for (const auto& file : files) {
        spec.files.push_back(
            {file.path.empty() ? std::vector<std::string>{} : split_path(file.path), file.size});
        const auto bytes = read_all(file_path(root, file));
        if (static_cast<std::int64_t>(bytes.size()) != file.size) {
            ADD_FAILURE() << file_path(root, file) << ": " << bytes.size() << " bytes, expected "
                          << file.size;
            return {};
        }
        std::size_t at = 0;
        while (at < bytes.size()) {
            const auto take =
                std::min<std::size_t>(bytes.size() - at, static_cast<std::size_t>(piece_length - in_piece));
            hasher.update(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data() + at), take));
            at += take;
            in_piece += static_cast<std::int64_t>(take);
            if (in_piece == piece_length) {
                spec.piece_hashes.push_back(hasher.finish());
                in_piece = 0;
            }
        }
    }
    if (in_piece > 0) spec.piece_hashes.push_back(hasher.finish());
    auto bytes = metainfo::build_torrent(spec);
    if (!bytes) {
        ADD_FAILURE() << "build_torrent: " << bytes.error().message();
        return {};
    }
    auto parsed = metainfo::parse_torrent(*bytes);
    if (!parsed) {
        ADD_FAILURE() << "parse_torrent: " << parsed.error().message();
        return {};
    }
    return std::move(*parsed);
}

metainfo::Metainfo make_torrent(const fs::path& parent, const std::string& name,
                                const std::vector<FileSpec>& files, std::int64_t piece_length,
                                std::uint64_t seed) {
    write_random_files(parent / name, files, seed);
    return make_metainfo(parent / name, files, piece_length);
}

std::vector<char> read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return {};
    std::vector<char> bytes(static_cast<std::size_t>(in.tellg()));
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!in) return {};
    return bytes;
}

Settings test_settings() {
    Settings s;
    s.listen_address = "127.0.0.1";
    s.listen_port = 0;
    s.connect_timeout = 5s;
    s.handshake_timeout = 5s;
    s.stop_announce_timeout = 1s;
    s.tracker_timeout = 1s;
    return s;
}

Endpoint loopback(std::uint16_t port) {
    return Endpoint::v4({127, 0, 0, 1}, port);
}

testing::AssertionResult compare_trees(const fs::path& a, const fs::path& b) {
    // Relative path -> is a folder, for each side.
    auto list = [](const fs::path& root, std::map<std::string, bool>& out) -> std::string {
        std::error_code ec;
        if (!fs::is_directory(root, ec)) return root.string() + " is not a folder";
        for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
            out[fs::relative(it->path(), root).string()] = it->is_directory();
        return ec ? root.string() + ": " + ec.message() : std::string();
    };
    std::map<std::string, bool> in_a, in_b;
    for (const auto& error : {list(a, in_a), list(b, in_b)}) {
        if (!error.empty()) return testing::AssertionFailure() << error;
    }
    std::vector<std::string> differences;
    for (const auto& [path, is_dir] : in_a) {
        const auto other = in_b.find(path);
        if (other == in_b.end()) {
            differences.push_back(path + ": only in " + a.string());
        } else if (is_dir != other->second) {
            differences.push_back(path + ": a folder on one side only");
        } else if (!is_dir) {
            const auto bytes_a = read_all(a / path);
            const auto bytes_b = read_all(b / path);
            if (bytes_a.size() != bytes_b.size()) {
                differences.push_back(path + ": " + std::to_string(bytes_a.size()) + " bytes vs " +
                                      std::to_string(bytes_b.size()));
            } else if (bytes_a != bytes_b) {
                const auto first = std::mismatch(bytes_a.begin(), bytes_a.end(), bytes_b.begin()).first;
                differences.push_back(path + ": bytes differ from offset " +
                                      std::to_string(first - bytes_a.begin()));
            }
        }
    }
    for (const auto& [path, is_dir] : in_b) {
        if (!in_a.contains(path)) differences.push_back(path + ": only in " + b.string());
    }
    if (differences.empty()) {
        return testing::AssertionSuccess() << in_a.size() << " entries equal";
    }
    auto failure = testing::AssertionFailure();
    failure << differences.size() << " difference(s) between " << a << " and " << b << ":";
    for (std::size_t i = 0; i < differences.size() && i < 10; ++i) failure << "\n  " << differences[i];
    return failure;
}

std::string describe(const std::vector<TorrentState>& states) {
    std::string text;
    for (const auto state : states) text += (text.empty() ? "" : " -> ") + std::string(state_name(state));
    return text;
}

std::string describe(const TorrentStatus& s) {
    std::ostringstream out;
    out << state_name(s.state);
    if (!s.error.empty()) out << " (" << s.error << ")";
    out << ", " << s.pieces_have << "/" << s.num_pieces << " pieces, " << s.bytes_have << "/" << s.total_size
        << " bytes, peers " << s.peers_connected << " connected (" << s.seeds_connected << " seeds) "
        << s.peers_known << " known, payload down " << s.stats.payload_downloaded << " up "
        << s.stats.payload_uploaded << ", pieces verified " << s.stats.pieces_verified << " from disk "
        << s.stats.pieces_from_disk << ", hash failures " << s.stats.hash_failures << ", wasted "
        << s.stats.wasted << ", connections in " << s.stats.peers_connected_in << " out "
        << s.stats.peers_connected_out;
    if (!s.stats.closed_by_reason.empty()) {
        out << ", closed:";
        for (const auto& [reason, count] : s.stats.closed_by_reason) out << " [" << reason << "] x" << count;
    }
    return out.str();
}

SessionFixture::SessionFixture() {
    set_log_level_from_environment();
}

SessionFixture::~SessionFixture() = default;

void SessionFixture::TearDown() {
    EXPECT_TRUE(stop_all());
    for (auto& node : nodes_) node.session.reset();
    EXPECT_TRUE(drain(kDefaultBound)) << "after the sessions were destroyed";
}

SessionFixture::Node& SessionFixture::add_node(const std::string& name, const Settings& settings,
                                               bool keep_udp) {
    auto& node = nodes_.emplace_back();
    node.name = name;
    EXPECT_FALSE(node.dir.path().empty()) << name << ": no temporary folder";
    Settings with_records = settings;
    if (with_records.resume_dir.empty()) with_records.resume_dir = node.records.path();
    node.session = std::make_unique<Session>(io_, with_records);
    if (auto listening = node.session->listen(); !listening) {
        ADD_FAILURE() << name << ": " << listening.error().message;
    } else if (const auto& mux = node.session->udp_mux(); mux && !keep_udp) {
        mux->close();
    }
    return node;
}

Torrent& SessionFixture::add_torrent(Node& node, const metainfo::Metainfo& metainfo) {
    return add_torrent(node, TorrentParams::from_metainfo(metainfo, node.path()));
}

Torrent& SessionFixture::add_torrent(Node& node, TorrentParams params) {
    auto added = node.session->add_torrent(std::move(params));
    if (!added) throw std::runtime_error(node.name + ": " + added.error());
    auto& torrent = **added;
    auto& record = recorded_.emplace_back();
    record.torrent = &torrent;
    record.states.push_back(torrent.status().state);
    torrent.on_state_change([states = &record.states](TorrentState state) { states->push_back(state); });
    return torrent;
}

Torrent& SessionFixture::start_seeding(Node& node, const metainfo::Metainfo& metainfo) {
    auto& torrent = add_torrent(node, metainfo);
    torrent.start();
    EXPECT_TRUE(run_until_seeding({&torrent})) << node.name << ": the seeder's torrent";
    return torrent;
}

const std::vector<TorrentState>& SessionFixture::states(const Torrent& torrent) const {
    for (const auto& record : recorded_) {
        if (record.torrent == &torrent) return record.states;
    }
    static const std::vector<TorrentState> none;
    ADD_FAILURE() << "torrent " << torrent.id().value << " was not added by the fixture";
    return none;
}

testing::AssertionResult SessionFixture::run_until(const std::function<bool()>& done, std::string_view what,
                                                   Clock::duration bound) {
    const auto start = Clock::now();
    const auto end = start + bound;
    auto failure = [&](const std::string& why) {
        const auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        return testing::AssertionFailure() << what << ": " << why << " (after " << elapsed << " s)\n"
                                           << dump();
    };
    try {
        while (!done()) {
            const auto now = Clock::now();
            if (now >= end) return failure("not reached within the bound");
            if (io_.stopped()) io_.restart();
            if (io_.run_one_for(end - now) == 0 && io_.stopped()) {
                if (done()) break;
                return failure("the io_context ran out of work first");
            }
        }
    } catch (const std::exception& e) {
        return failure(std::string("a handler threw: ") + e.what());
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult SessionFixture::run_until_seeding(const std::vector<Torrent*>& torrents,
                                                           Clock::duration bound) {
    bool failed = false;
    auto result = run_until(
        [&] {
            bool all = true;
            for (const auto* t : torrents) {
                const auto state = t->status().state;
                // Added stopped: only a stop after the start fails.
                const bool started = states(*t).size() > 1;
                if (state == TorrentState::error || (started && state == TorrentState::stopped))
                    failed = true;
                all = all && state == TorrentState::seeding;
            }
            return all || failed;
        },
        "every torrent seeding", bound);
    if (result && failed) return testing::AssertionFailure() << "a torrent stopped or failed\n" << dump();
    return result;
}

testing::AssertionResult SessionFixture::stop_all(Clock::duration bound) {
    if (stopped_) return testing::AssertionSuccess();
    stopped_ = true;
    for (auto& node : nodes_) {
        ++stops_running_;
        net::spawn(io_, stop_session(*node.session, stops_running_), [this, &node](const std::string& what) {
            stop_failures_.push_back(node.name + ": stop: " + what);
            --stops_running_;
        });
    }
    auto stopping = run_until([&] { return stops_running_ == 0; }, "every session stopped", bound);
    if (!stopping) return stopping;
    if (!stop_failures_.empty()) {
        auto failure = testing::AssertionFailure();
        for (const auto& f : stop_failures_) failure << f << "\n";
        return failure << dump();
    }
    // Stopped sessions leave no work behind: the io_context runs out of it by itself.
    return drain(bound);
}

testing::AssertionResult SessionFixture::drain(Clock::duration bound) {
    const auto start = Clock::now();
    const auto end = start + bound;
    if (io_.stopped()) io_.restart();
    try {
        while (!io_.stopped()) {
            const auto now = Clock::now();
            if (now >= end) {
                return testing::AssertionFailure()
                       << "the io_context still had work " << std::chrono::duration<double>(bound).count()
                       << " s after every session stopped\n"
                       << dump();
            }
            io_.run_one_for(end - now);
        }
    } catch (const std::exception& e) {
        return testing::AssertionFailure() << "a handler threw while draining: " << e.what();
    }
    return testing::AssertionSuccess();
}

std::string SessionFixture::dump() const {
    std::ostringstream out;
    for (const auto& node : nodes_) {
        out << node.name;
        if (!node.session) {
            out << ": destroyed\n";
            continue;
        }
        out << " (127.0.0.1:" << node.session->listen_port() << ", " << node.path() << ")\n";
        for (const auto& torrent : node.session->torrents()) {
            out << "  torrent " << torrent->id().value << " '" << torrent->name()
                << "': " << describe(torrent->status()) << "\n";
            for (const auto& record : recorded_) {
                if (record.torrent == torrent.get()) out << "    states: " << describe(record.states) << "\n";
            }
        }
        if (!node.session->incoming_failures().empty()) {
            out << "  incoming failures:";
            for (const auto& [reason, count] : node.session->incoming_failures())
                out << " [" << reason << "] x" << count;
            out << "\n";
        }
    }
    return out.str();
}

}  // namespace bt::session::test
