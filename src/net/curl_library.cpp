#include "net/curl_library.hpp"

#include <dlfcn.h>

#include <atomic>
#include <mutex>
#include <type_traits>

namespace bt::net {

namespace {

// The soname of libcurl's ABI (version 4 since 2006), as the headers we build against describe it.
constexpr const char* kSoname = "libcurl.so.4";

std::atomic<bool> loaded{false};

Result<const CurlLibrary*, std::string> load_once() {
    // Never closed: libcurl keeps global state (and threads of its resolver) for the life of the process.
    void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        return fail("HTTP trackers need libcurl (Debian package libcurl4): " +
                    std::string(why ? why : kSoname));
    }
    static CurlLibrary library{};
    CURLcode (*global_init)(long) = nullptr;
    const char* missing = nullptr;
    auto need = [&](const char* name, auto& function) {
        function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(handle, name));
        if (function == nullptr && missing == nullptr) missing = name;
    };
    need("curl_global_init", global_init);
    need("curl_easy_init", library.easy_init);
    need("curl_easy_setopt", library.easy_setopt);
    need("curl_easy_perform", library.easy_perform);
    need("curl_easy_getinfo", library.easy_getinfo);
    need("curl_easy_cleanup", library.easy_cleanup);
    need("curl_easy_strerror", library.easy_strerror);
    if (missing != nullptr) return fail(std::string(kSoname) + " has no " + missing);
    if (const CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
        return fail("cannot initialise libcurl: " + std::string(library.easy_strerror(rc)));
    }
    loaded = true;
    return &library;
}

}  // namespace

Result<const CurlLibrary*, std::string> CurlLibrary::load() {
    static std::once_flag once;
    static Result<const CurlLibrary*, std::string> result = fail(std::string("not loaded"));
    std::call_once(once, [] { result = load_once(); });
    return result;
}

bool curl_library_loaded() {
    return loaded;
}

}  // namespace bt::net
