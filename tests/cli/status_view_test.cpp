#include "cli/status_view.hpp"

#include <gtest/gtest.h>

#include "core/printable.hpp"

namespace bt::cli {
namespace {

using session::TorrentState;
using session::TorrentStatus;

constexpr std::int64_t kMiB = 1 << 20;
constexpr std::size_t kWidths[] = {40, 80, 120, 200};

// The wanted part is the whole torrent (no file skipped), as the session reports it.
TorrentStatus all_wanted(TorrentStatus s) {
    s.wanted_size = s.total_size;
    s.wanted_left = s.total_size - s.bytes_have;
    s.pieces_wanted = s.num_pieces;
    s.pieces_wanted_left = s.num_pieces - s.pieces_have;
    return s;
}

// "downloading 42.3%" of 2.9 GiB at 3.1 MiB/s down, 120 KiB/s up, from 2 RC4 peers and 1 plaintext one.
TorrentStatus downloading() {
    TorrentStatus s;
    s.state = TorrentState::downloading;
    s.num_pieces = 2970;
    s.pieces_have = 1256;
    s.total_size = 2970 * kMiB;
    s.bytes_have = s.total_size * 423 / 1000 + 1;
    s.download_rate = 3 * kMiB + kMiB / 10;
    s.upload_rate = 120 * 1024;
    s.peers_connected = 3;
    s.peers_known = 12;
    s.peers_mse_rc4 = 2;
    s.peers_plaintext = 1;
    return all_wanted(s);
}

TorrentStatus seeding() {
    TorrentStatus s = downloading();
    s.state = TorrentState::seeding;
    s.pieces_have = s.num_pieces;
    s.bytes_have = s.total_size;
    s.download_rate = 0;
    s.stats.payload_uploaded = static_cast<std::uint64_t>(s.total_size) * 142 / 100;
    return all_wanted(s);
}

TorrentStatus in_state(TorrentState state) {
    TorrentStatus s = downloading();
    s.state = state;
    if (state == TorrentState::seeding) s = seeding();
    if (state == TorrentState::checking) s.check_bytes_done = s.total_size / 4;
    if (state == TorrentState::error) {
        s.error = "cannot write /srv/data/a/very/long/path/to/some/file.iso: No space left on device";
    }
    if (state == TorrentState::metadata) {
        s = TorrentStatus{};
        s.state = state;
        s.metadata_connected = 3;
        s.metadata_peers = 2;
        s.metadata_pieces_have = 1;
        s.metadata_pieces = 5;
    }
    return s;
}

constexpr TorrentState kStates[] = {TorrentState::metadata, TorrentState::checking, TorrentState::downloading,
                                    TorrentState::seeding,  TorrentState::stopped,  TorrentState::error};

const std::string kLongName = "ubuntu-24.04.1-desktop-amd64-with-a-very-long-name-indeed.iso";
// Three columns per two characters on average: CJK is two columns each.
const std::string kWideName =
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe5\x90\x8d\xe5\x89\x8d"
    "-\xe3\x81\xa8\xe3\x81\xa6\xe3\x82\x82\xe9\x95\xb7\xe3\x81\x84"
    "-\xe5\x90\x8d\xe5\x89\x8d\xe3\x81\xa7\xe3\x81\x99-album";
const std::string kEscapeName = "evil\x1b]0;title\x07-name-\xff\xfe-and-more-text-after-it";
const std::string kNames[] = {"album", kLongName, kWideName, kEscapeName,
                              "caf\xc3\xa9-\xf0\x9f\x8e\xb5-music"};

TEST(DisplayWidth, CountsCodePointsAndWideCharactersTwice) {
    EXPECT_EQ(display_width(""), 0u);
    EXPECT_EQ(display_width("album"), 5u);
    EXPECT_EQ(display_width("caf\xc3\xa9"), 4u);               // é: two bytes, one column
    EXPECT_EQ(display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4u);  // 日本
    EXPECT_EQ(display_width("\xef\xbc\xa1"), 2u);              // fullwidth A
    EXPECT_EQ(display_width("\xea\xb0\x80"), 2u);              // Hangul syllable
    EXPECT_EQ(display_width("\xf0\x9f\x8e\xb5"), 2u);          // an emoji (musical note)
    EXPECT_EQ(display_width("\xe2\x80\xa6"), 1u);              // the ellipsis
    EXPECT_EQ(display_width("\xff\xfe"), 2u);                  // not UTF-8: one each
    EXPECT_EQ(display_width("a\xcc\x81"), 2u);                 // a combining mark counts (never too few)
}

TEST(Shorten, CutsAtACharacterWithAnEllipsis) {
    EXPECT_EQ(shorten("album", 5), "album");
    EXPECT_EQ(shorten("album", 80), "album");
    EXPECT_EQ(shorten("album", 4), "alb\xe2\x80\xa6");
    EXPECT_EQ(shorten("album", 1), "\xe2\x80\xa6");
    EXPECT_EQ(shorten("album", 0), "");
    EXPECT_EQ(shorten("caf\xc3\xa9-music", 5), "caf\xc3\xa9\xe2\x80\xa6");
    // A wide character that would end one column past the width is left out whole.
    EXPECT_EQ(shorten("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4), "\xe6\x97\xa5\xe2\x80\xa6");
    EXPECT_EQ(display_width(shorten("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4)), 3u);
}

TEST(StatusText, PeersRatesAndTimes) {
    EXPECT_EQ(peers_text(0, 0, 0), "0 peers");
    EXPECT_EQ(peers_text(1, 0, 0), "1 peer (rc4)");
    EXPECT_EQ(peers_text(0, 4, 0), "4 peers (header)");
    EXPECT_EQ(peers_text(2, 0, 1), "3 peers (2 rc4, 1 plain)");
    EXPECT_EQ(peers_text(1, 1, 1), "3 peers (1 rc4, 1 header, 1 plain)");
    EXPECT_EQ(rate_text(0), "0 B/s");
    EXPECT_EQ(rate_text(1536), "1.5 KiB/s");
    EXPECT_EQ(duration_text(0), "0s");
    EXPECT_EQ(duration_text(45), "45s");
    EXPECT_EQ(duration_text(552), "9m12s");
    EXPECT_EQ(duration_text(7380), "2h03m");
    EXPECT_EQ(duration_text(100'000), "1d3h");
    EXPECT_EQ(eta_text(0, 0), "0s");
    EXPECT_EQ(eta_text(100, 0), "--");
    EXPECT_EQ(eta_text(1000, 10), "1m40s");
    EXPECT_EQ(eta_text(1001, 10), "1m41s");  // rounded up: never "0s" while bytes remain
    EXPECT_EQ(eta_text(5, 10), "1s");
}

TEST(StatusLine, FullLinesForLogs) {
    EXPECT_EQ(
        status_line("album", downloading()),
        "album  downloading 42.3%  1.2/2.9 GiB  down 3.1 MiB/s  up 120.0 KiB/s  3 peers (2 rc4, 1 plain)"
        "  eta 9m13s");
    EXPECT_EQ(
        status_line("album", seeding()),
        "album  seeding  2.9 GiB  up 120.0 KiB/s  ratio 1.42  uploaded 4.1 GiB  3 peers (2 rc4, 1 plain)");
    EXPECT_EQ(status_line("album", in_state(TorrentState::checking)),
              "album  checking 25.0%  742.5 MiB/2.9 GiB");
    EXPECT_EQ(status_line("album", in_state(TorrentState::stopped)), "album  stopped 42.3%  1.2/2.9 GiB");
    EXPECT_EQ(status_line("album", in_state(TorrentState::metadata)),
              "album  fetching metadata from 2 peers (1/5)");
    EXPECT_EQ(
        status_line("album", in_state(TorrentState::error)),
        "album  error: cannot write /srv/data/a/very/long/path/to/some/file.iso: No space left on device");
}

TEST(StatusLine, EtaOnlyWhileBytesArrive) {
    auto s = downloading();
    s.download_rate = 0;
    EXPECT_EQ(status_line("album", s).find("eta"), std::string::npos) << status_line("album", s);
    EXPECT_NE(status_line("album", s).find("down 0 B/s"), std::string::npos);
    EXPECT_EQ(status_line("album", seeding()).find("eta"), std::string::npos);
}

TEST(StatusLine, PercentIsRoundedDown) {
    auto s = downloading();
    s.total_size = 10'000;
    s.bytes_have = 9'999;
    s = all_wanted(s);
    EXPECT_NE(status_line("a", s).find("downloading 99.9%"), std::string::npos) << status_line("a", s);
    s.bytes_have = 10'000;
    s = all_wanted(s);
    EXPECT_NE(status_line("a", s).find("downloading 100.0%"), std::string::npos);
}

TEST(StatusLine, NoPeersSaysHowManyAreKnown) {
    auto s = downloading();
    s.peers_connected = s.peers_mse_rc4 = s.peers_plaintext = 0;
    EXPECT_NE(status_line("a", s).find("0 peers (12 known)"), std::string::npos) << status_line("a", s);
    s.peers_known = 0;
    EXPECT_NE(status_line("a", s).find("  0 peers"), std::string::npos) << status_line("a", s);
}

TEST(StatusLine, NeverWiderThanTheWidthInAnyStateOrName) {
    for (const auto state : kStates) {
        for (const auto& name : kNames) {
            for (const auto width : kWidths) {
                const auto line = status_line(name, in_state(state), width);
                EXPECT_LE(display_width(line), width) << line;
                EXPECT_EQ(line.find('\n'), std::string::npos);
                EXPECT_EQ(line.find('\x1b'), std::string::npos) << "an escape reached the terminal: " << line;
                // The start of the name and the state are always there.
                EXPECT_EQ(line.substr(0, 3), printable(name).substr(0, 3)) << line;
                const std::string state_word =
                    state == TorrentState::metadata ? "metadata" : session::state_name(state);
                EXPECT_NE(line.find(state_word), std::string::npos) << line;
            }
        }
    }
    // Widths below anything sensible still hold.
    for (std::size_t width = 0; width < 40; ++width) {
        EXPECT_LE(display_width(status_line(kLongName, downloading(), width)), width);
    }
}

TEST(StatusLine, ShortensTheNameBeforeDroppingFields) {
    const auto full = status_line("album", downloading());
    // At 120 columns every field keeps its full form; the long name gives way.
    const auto at120 = status_line(kLongName, downloading(), 120);
    EXPECT_EQ(display_width(at120), 120u) << at120;
    EXPECT_EQ(at120.substr(at120.find("  downloading")), full.substr(full.find("  downloading")));
    EXPECT_NE(at120.find("\xe2\x80\xa6  downloading"), std::string::npos) << at120;
    // At 80 the name is near its shortest (16 columns), fields take their short forms and the least
    // important ones go.
    const auto at80 = status_line(kLongName, downloading(), 80);
    EXPECT_EQ(at80,
              "ubuntu-24.04.1-d\xe2\x80\xa6  downloading 42.3%  1.2G/2.9G  down 3.1M/s  3 peers  eta 9m13s");
    // A short name keeps more.
    EXPECT_EQ(status_line("album", downloading(), 80),
              "album  downloading 42.3%  1.2G/2.9G  down 3.1M/s  up 120K/s  3 peers  eta 9m13s");
    EXPECT_EQ(status_line("album", downloading(), 200), full);
    // At 40: the name, the state and the percent.
    EXPECT_EQ(status_line(kLongName, downloading(), 40),
              "ubuntu-24.04.1-deskt\xe2\x80\xa6  downloading 42.3%");
}

TEST(StatusLine, SeedingAt80ShowsRatioAndUploaded) {
    const auto line = status_line(kLongName, seeding(), 80);
    EXPECT_LE(display_width(line), 80u);
    EXPECT_NE(line.find("ratio 1.42"), std::string::npos) << line;
    EXPECT_NE(line.find("uploaded 4.1G"), std::string::npos) << line;
    EXPECT_NE(line.find("up 120K/s"), std::string::npos) << line;
}

TEST(StatusLine, ALongErrorIsCutAtTheEnd) {
    const auto line = status_line(kLongName, in_state(TorrentState::error), 80);
    EXPECT_EQ(display_width(line), 80u);
    EXPECT_EQ(line.substr(0, 33), "ubuntu-24.04.1-\xe2\x80\xa6  error: cannot");
    EXPECT_EQ(line.substr(line.size() - 3), "\xe2\x80\xa6");
}

TEST(StatusLine, EscapesTheName) {
    const auto line = status_line(kEscapeName, downloading(), 80);
    EXPECT_EQ(line.substr(0, 19), "evil\\x1b]0;title\xe2\x80\xa6") << line;
}

TEST(FrameLines, OneLinePerTorrentOrACountOfTheOnesThatDoNotFit) {
    std::vector<TorrentView> torrents;
    for (const auto& name : kNames) torrents.push_back({name, downloading()});
    const auto lines = frame_lines(torrents, 79, 24);
    ASSERT_EQ(lines.size(), torrents.size());
    for (std::size_t i = 0; i < lines.size(); ++i)
        EXPECT_EQ(lines[i], status_line(kNames[i], downloading(), 79));
    EXPECT_EQ(frame_lines(torrents, 79, 0).size(), torrents.size());  // the height is not known
    EXPECT_EQ(frame_lines(torrents, 79, 6).size(), torrents.size());
    const auto four = frame_lines(torrents, 79, 5);  // five torrents on five rows: one row stays free
    ASSERT_EQ(four.size(), 4u);
    EXPECT_EQ(four[2], status_line(kNames[2], downloading(), 79));
    EXPECT_EQ(four[3], "(2 more torrents)");
    EXPECT_EQ(frame_lines(torrents, 10, 2), std::vector<std::string>{"(5 more t\xe2\x80\xa6"});
    EXPECT_TRUE(frame_lines({}, 79, 24).empty());
}

TorrentStatus finished() {
    TorrentStatus s = seeding();
    s.total_size = 12 * kMiB + kMiB / 2;
    s.stats.payload_downloaded = static_cast<std::uint64_t>(s.total_size);
    s.stats.payload_uploaded = 0;
    s.stats.connections_by_kind = {{"mse_rc4", 2}, {"plaintext", 1}};
    return all_wanted(s);
}

TEST(SummaryLine, BytesAverageRatesTimeAndPeersByKind) {
    EXPECT_EQ(summary_line("album", finished(), 4.0),
              "bitveil: album: complete, 4.0 s, down 12.5 MiB (3.1 MiB/s), up 0 B, 3 peers (2 rc4, 1 plain)");
    auto s = finished();
    s.pieces_have = 7;
    s = all_wanted(s);
    s.stats.payload_uploaded = 3 * kMiB;
    EXPECT_EQ(summary_line("album", s, 125.0),
              "bitveil: album: incomplete (7 of 2970 pieces), 2m05s, down 12.5 MiB (102.4 KiB/s), "
              "up 3.0 MiB (24.6 KiB/s), 3 peers (2 rc4, 1 plain)");
}

TEST(SummaryLine, FitsEightyColumnsKeepingTheEncryptionBreakdown) {
    const auto line = summary_line("album", finished(), 4.0, 79);
    EXPECT_EQ(line, "bitveil: album: complete, 4.0 s, down 12.5M (3.1M/s), 3 peers (2 rc4, 1 plain)");
    const auto long_line = summary_line(kLongName, finished(), 4.0, 79);
    EXPECT_LE(display_width(long_line), 79u) << long_line;
    EXPECT_NE(long_line.find("3 peers (2 rc4, 1 plain)"), std::string::npos) << long_line;
    for (const auto& name : kNames) {
        for (const auto width : kWidths) {
            EXPECT_LE(display_width(summary_line(name, finished(), 4.0, width)), width);
        }
    }
}

TEST(RedrawText, RewritesEachLineAndReturnsToTheFirst) {
    EXPECT_EQ(redraw_text({"one"}), "\rone\x1b[K\x1b[J\r");
    EXPECT_EQ(redraw_text({"a", "b", "c"}), "\ra\x1b[K\n\rb\x1b[K\n\rc\x1b[K\x1b[J\r\x1b[2A");
    EXPECT_EQ(redraw_text({}), "\x1b[J\r");
}

TEST(Wrap, BreaksAtSpacesIndentsAndNeverExceedsTheWidth) {
    const std::string notice =
        "bitveil: alpha: no peer accepted our encryption policy (3 closed the encrypted handshake: they may "
        "want "
        "plaintext; try --encryption prefer)";
    for (const std::size_t width : {20u, 40u, 79u, 200u}) {
        const auto lines = wrap(notice, width);
        std::string words;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            EXPECT_LE(display_width(lines[i]), width) << lines[i];
            if (i > 0) {
                EXPECT_EQ(lines[i].substr(0, 2), "  ") << lines[i];
            }
            words += (words.empty() ? "" : " ") + lines[i].substr(lines[i].find_first_not_of(' '));
        }
        EXPECT_EQ(words, notice) << "every word kept, in order, at width " << width;
    }
    EXPECT_EQ(wrap(notice, 200), std::vector<std::string>{notice});
    const auto cut = wrap("a-word-much-wider-than-the-line end", 10);
    ASSERT_EQ(cut.size(), 2u);
    EXPECT_EQ(display_width(cut[0]), 10u);
    EXPECT_EQ(cut[1], "  end");
}

}  // namespace
}  // namespace bt::cli
