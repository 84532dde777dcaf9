#include "cli/torrent_source.hpp"

#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>
#include <asio/thread_pool.hpp>
#include <cctype>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/run_blocking.hpp"
#include "cli/text.hpp"
#include "http/url.hpp"
#include "net/http_client.hpp"
#include "session/settings.hpp"

namespace bt::cli {

namespace {

bool has_scheme_prefix(std::string_view input) {
    const std::size_t sep = input.find("://");
    if (sep == std::string_view::npos || sep == 0) return false;
    return std::all_of(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(sep), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
}

Result<std::string, std::string> fetch(const std::string& url, std::chrono::seconds timeout) {
    net::HttpOptions options;
    options.timeout = timeout;
    options.max_body = static_cast<std::size_t>(kMaxTorrentFileBytes);
    options.user_agent = session::Settings{}.user_agent;
    asio::thread_pool pool(1);  // libcurl's (https://, proxies); outlives the request
    auto reply = run_blocking(net::http_get(pool.get_executor(), url, options));
    pool.join();
    if (!reply) {
        if (reply.error().starts_with("response larger than"))
            return fail(
                fmt::format("too large for a .torrent (the limit is {})", human_size(kMaxTorrentFileBytes)));
        return fail(std::move(reply).error());
    }
    if (reply->status != 200) return fail(http_status_error(reply->status));
    return std::move(reply->body);
}

}  // namespace

TorrentSource torrent_source(std::string_view input) {
    if (!has_scheme_prefix(input)) return TorrentSource::file;
    if (http::has_scheme(input, "http") || http::has_scheme(input, "https")) return TorrentSource::url;
    struct stat st {};
    return ::stat(std::string(input).c_str(), &st) == 0 ? TorrentSource::file
                                                        : TorrentSource::unsupported_url;
}

std::string http_status_error(long status) {
    const char* reason = status == 400                    ? "bad request"
                         : status == 401                  ? "authentication required"
                         : status == 403                  ? "forbidden"
                         : status == 404                  ? "not found"
                         : status == 410                  ? "gone"
                         : status == 429                  ? "too many requests"
                         : status >= 500 && status <= 599 ? "server error"
                         : status >= 300 && status <= 399 ? "a redirect without a usable Location"
                                                          : nullptr;
    return reason != nullptr ? fmt::format("the server answered HTTP {} ({})", status, reason)
                             : fmt::format("the server answered HTTP {}", status);
}

Result<metainfo::Metainfo, std::string> load_torrent(const std::string& input, std::chrono::seconds timeout) {
    const TorrentSource source = torrent_source(input);
    if (source == TorrentSource::unsupported_url)
        return fail(
            std::string("only http:// and https:// URLs can be fetched (or give a local .torrent file)"));
    auto bytes = source == TorrentSource::url ? fetch(input, timeout) : read_torrent_file(input);
    if (!bytes) return fail(std::move(bytes).error());
    auto parsed = metainfo::parse_torrent(*bytes);
    if (!parsed) {
        if (source == TorrentSource::url)
            return fail("not a .torrent file (" + parsed.error().message() + ")");
        return fail(parsed.error().message());
    }
    return std::move(*parsed);
}

}  // namespace bt::cli
