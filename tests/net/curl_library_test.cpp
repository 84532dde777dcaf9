// libcurl is loaded on the first request that goes through it, not at start-up (ctest runs each case in a
// process of its own). Which requests do is net/http_client.hpp's business (tests/net/http_client_test.cpp).
#include "net/curl_library.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "net/http_client.hpp"

namespace bt::net {
namespace {

bool libcurl_mapped() {
    std::ifstream maps("/proc/self/maps");
    std::stringstream text;
    text << maps.rdbuf();
    return text.str().find("/libcurl.so.4") != std::string::npos;
}

TEST(CurlLibrary, IsNotMappedBeforeTheFirstHttpRequest) {
    if (curl_library_loaded()) GTEST_SKIP() << "another case in this process used libcurl first";
    EXPECT_FALSE(libcurl_mapped());
}

TEST(CurlLibrary, TheFirstHttpRequestLoadsIt) {
    HttpOptions options;
    options.timeout = std::chrono::seconds(5);
    // Port 1 on loopback: nothing listens, so the request fails fast, after libcurl has been loaded.
    auto response = curl_get_blocking("http://127.0.0.1:1/announce", options);
    ASSERT_FALSE(response.has_value());
    EXPECT_EQ(response.error().find("libcurl"), std::string::npos) << response.error();
    EXPECT_TRUE(curl_library_loaded());
    EXPECT_TRUE(libcurl_mapped());
    auto again = CurlLibrary::load();
    ASSERT_TRUE(again.has_value());
    EXPECT_NE(*again, nullptr);
}

}  // namespace
}  // namespace bt::net
