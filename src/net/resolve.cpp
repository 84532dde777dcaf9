#include "net/resolve.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <thread>

namespace bt::net::detail {

namespace {

std::atomic<int> lookups_running{0};

bool take_slot() {
    int running = lookups_running.load();
    while (running < kMaxLookups) {
        if (lookups_running.compare_exchange_weak(running, running + 1)) return true;
    }
    return false;
}

// On the lookup's own thread: everything it touches is `lookup` and the slot count.
void look_up(const std::string& host, Lookup& lookup) noexcept {
    std::error_code error;
    std::vector<asio::ip::address> addresses;
    try {
        asio::io_context own;  // asio's synchronous resolve runs getaddrinfo right here
        asio::ip::tcp::resolver resolver(own);
        for (const auto& entry : resolver.resolve(host, "0", error)) {
            const auto address = entry.endpoint().address();
            if (std::find(addresses.begin(), addresses.end(), address) == addresses.end())
                addresses.push_back(address);
        }
    } catch (const std::bad_alloc&) {
        error = std::make_error_code(std::errc::not_enough_memory);
    } catch (const std::system_error& e) {
        error = e.code();
    }
    const std::lock_guard lock(lookup.mutex);
    lookup.done = true;
    lookup.error = error;
    lookup.addresses = std::move(addresses);
}

}  // namespace

Result<std::shared_ptr<Lookup>, std::error_code> start_lookup(const std::string& host) {
    if (!take_slot()) return std::shared_ptr<Lookup>();
    try {
        auto lookup = std::make_shared<Lookup>();
        std::thread([lookup, host] {
            look_up(host, *lookup);
            --lookups_running;
        }).detach();
        return lookup;
    } catch (const std::system_error& e) {  // no thread to be had
        --lookups_running;
        return fail(e.code());
    } catch (const std::bad_alloc&) {
        --lookups_running;
        return fail(std::make_error_code(std::errc::not_enough_memory));
    }
}

}  // namespace bt::net::detail
