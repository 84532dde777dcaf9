#include "cli/torrent_source.hpp"

#include <gtest/gtest.h>

namespace bt::cli {
namespace {

TEST(TorrentSource, HttpAndHttpsUrlsAreFetchedOtherSchemesRefusedTheRestAreFiles) {
    EXPECT_EQ(torrent_source("http://127.0.0.1:8000/x.torrent"), TorrentSource::url);
    EXPECT_EQ(torrent_source("HTTPS://example.org/x.torrent"), TorrentSource::url);
    EXPECT_EQ(torrent_source("ftp://example.org/x.torrent"), TorrentSource::unsupported_url);
    EXPECT_EQ(torrent_source("file:///tmp/x.torrent"), TorrentSource::unsupported_url);
    EXPECT_EQ(torrent_source("x.torrent"), TorrentSource::file);
    EXPECT_EQ(torrent_source("/tmp/http:/x.torrent"), TorrentSource::file);
    EXPECT_EQ(torrent_source("dir/a://b.torrent"), TorrentSource::file);  // '/' cannot be in a scheme
    EXPECT_EQ(torrent_source("://x"), TorrentSource::file);
    EXPECT_EQ(torrent_source(""), TorrentSource::file);
}

TEST(TorrentSource, HttpStatusIsOneLineWithAReasonWhenKnown) {
    EXPECT_EQ(http_status_error(404), "the server answered HTTP 404 (not found)");
    EXPECT_EQ(http_status_error(503), "the server answered HTTP 503 (server error)");
    EXPECT_EQ(http_status_error(204), "the server answered HTTP 204");
}

TEST(TorrentSource, UnsupportedUrlAndMissingFileFailWithoutReachingTheNetwork) {
    const auto ftp = load_torrent("ftp://example.org/x.torrent");
    ASSERT_FALSE(ftp);
    EXPECT_NE(ftp.error().find("only http:// and https://"), std::string::npos) << ftp.error();
    const auto missing = load_torrent("/nonexistent/bitveil-test/x.torrent");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), "No such file or directory");
}

}  // namespace
}  // namespace bt::cli
