#pragma once
// libcurl, loaded with dlopen the first time it is needed: an https:// tracker, or a proxy set in the
// environment (net/http_client.hpp; plain http:// has a client of its own). Linking it would map it and
// the 30-odd libraries it depends on (gnutls, krb5, ldap, ssh2, ...) into every bitveil process: about
// 6.5 MiB of resident memory, while most downloads never use it.
#include <curl/curl.h>

#include <string>

#include "core/result.hpp"

namespace bt::net {

// The libcurl functions bitveil calls, resolved once; curl_global_init has run when load() returns it.
struct CurlLibrary {
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_perform)(CURL*);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    void (*easy_cleanup)(CURL*);
    const char* (*easy_strerror)(CURLcode);

    // Thread-safe; the first call loads the library, later calls return the same result. The error says
    // what is missing (for example the libcurl4 package).
    static Result<const CurlLibrary*, std::string> load();
};

// True once load() has mapped libcurl into this process (for tests).
bool curl_library_loaded();

}  // namespace bt::net
