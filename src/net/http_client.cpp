#include "net/http_client.hpp"

#include <asio/use_awaitable.hpp>
#include <memory>

#include "net/curl_library.hpp"
#include "net/offload.hpp"

namespace bt::net {

namespace {

struct Sink {
    std::string body;
    std::size_t limit;
    bool overflowed = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const std::size_t n = size * count;
    if (sink->body.size() + n > sink->limit) {
        sink->overflowed = true;
        return 0;  // makes curl abort the transfer
    }
    sink->body.append(data, n);
    return n;
}

// libcurl calls this at least once a second during a transfer; non-zero aborts it.
int on_progress(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

}  // namespace

Result<HttpResponse, std::string> http_get_blocking(const std::string& url, const HttpOptions& options) {
    auto loaded = CurlLibrary::load();
    if (!loaded) return fail(loaded.error());
    const CurlLibrary& lib = **loaded;
    // Declared before the handle: curl may still use its buffers while curl_easy_cleanup runs.
    Sink sink{{}, options.max_body};
    char error_text[CURL_ERROR_SIZE] = {};
    std::unique_ptr<CURL, void (*)(CURL*)> curl(lib.easy_init(), lib.easy_cleanup);
    if (!curl) return fail(std::string("cannot initialise libcurl"));
    CURL* h = curl.get();
    lib.easy_setopt(h, CURLOPT_URL, url.c_str());
    lib.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    lib.easy_setopt(h, CURLOPT_MAXREDIRS, options.max_redirects);
    lib.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(options.timeout.count()));
    lib.easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                    static_cast<long>(std::min<long>(options.timeout.count(), 15)));
    lib.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    lib.easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
    lib.easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_data);
    lib.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    lib.easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
    if (options.cancel != nullptr) {
        lib.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        lib.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
        lib.easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(options.cancel));
    }
    const CURLcode rc = lib.easy_perform(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK) return fail(std::string("cancelled (shutting down)"));
    if (sink.overflowed) {
        return fail("response larger than " + std::to_string(options.max_body) + " bytes");
    }
    if (rc != CURLE_OK) {
        return fail(std::string(error_text[0] != '\0' ? error_text : lib.easy_strerror(rc)));
    }
    HttpResponse response;
    lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    response.body = std::move(sink.body);
    return response;
}

asio::awaitable<Result<HttpResponse, std::string>> http_get(asio::any_io_executor pool, std::string url,
                                                            HttpOptions options) {
    struct Request {
        std::string url;
        HttpOptions options;
    };
    // The request reaches the worker through a plain pointer, owned by the worker function: g++ 12 relocates
    // closures passed into coroutines bitwise, which breaks std::string members (ASan: free of a pointer
    // into the coroutine frame). A raw pointer survives that.
    auto* request = new Request{std::move(url), std::move(options)};
    co_return co_await run_on(pool, [request] {
        const std::unique_ptr<Request> owned(request);
        return http_get_blocking(owned->url, owned->options);
    });
}

}  // namespace bt::net
