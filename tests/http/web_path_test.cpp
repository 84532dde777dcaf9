#include "http/web_path.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace bt::http {
namespace {

TEST(WebPath, DecodesAndNormalises) {
    EXPECT_EQ(decode_web_path(""), "");
    EXPECT_EQ(decode_web_path("index.html"), "index.html");
    EXPECT_EQ(decode_web_path("javascript/transmission.js?v=3"), "javascript/transmission.js");
    EXPECT_EQ(decode_web_path("./style//transmission/./common.css#x"), "style/transmission/common.css");
    EXPECT_EQ(decode_web_path("images/a%20b.png"), "images/a b.png");
    EXPECT_EQ(decode_web_path("a..b/..c"), "a..b/..c");
}

TEST(WebPath, RefusesTraversalAndTricks) {
    for (const char* path :
         {"../etc/passwd", "a/../../b", "..", "%2e%2e/secret", "%2E%2E/secret", ".%2e/x", "a%2F..%2F..%2Fb",
          "a%2fb", "a\\..\\b", "a%5c..%5cb", "a%00.html", "a%0a", "bad%zz", "bad%2", "bad%"})
        EXPECT_EQ(decode_web_path(path), std::nullopt) << path;
}

TEST(WebPath, MimeTypesByExtension) {
    EXPECT_EQ(mime_type("index.html"), "text/html; charset=UTF-8");
    EXPECT_EQ(mime_type("a/b.JS"), "text/javascript; charset=UTF-8");
    EXPECT_EQ(mime_type("s.css"), "text/css; charset=UTF-8");
    EXPECT_EQ(mime_type("i.png"), "image/png");
    EXPECT_EQ(mime_type("i.gif"), "image/gif");
    EXPECT_EQ(mime_type("favicon.ico"), "image/x-icon");
    EXPECT_EQ(mime_type("i.svg"), "image/svg+xml");
    EXPECT_EQ(mime_type("d.json"), "application/json");
    EXPECT_EQ(mime_type("f.woff"), "font/woff");
    EXPECT_EQ(mime_type("f.woff2"), "font/woff2");
    EXPECT_EQ(mime_type("r.txt"), "text/plain; charset=UTF-8");
    EXPECT_EQ(mime_type("archive.tar.gz"), "application/octet-stream");
    EXPECT_EQ(mime_type("dir.d/README"), "application/octet-stream");
}

}  // namespace
}  // namespace bt::http
