#pragma once
// Slows down password guessing per client address, instead of Transmission 3.00's global lockout after
// 100 failures (which let anyone lock the owner out until a restart). Each failed login from an address
// doubles the wait before that address's next login is checked, up to a maximum; attempts made in parallel
// queue behind each other, so more connections do not mean more guesses; an attempt whose wait would end
// after its request's deadline is refused unchecked, so waits cannot pile up. An address is forgotten a while
// after its last failure, and the table holds a bounded number of addresses. Pure: the caller passes `now`.
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace bt::http {

struct LoginThrottleSettings {
    std::chrono::steady_clock::duration first_delay = std::chrono::milliseconds(500);
    std::chrono::steady_clock::duration max_delay = std::chrono::seconds(10);
    std::chrono::steady_clock::duration forget_after = std::chrono::minutes(15);
    std::size_t max_addresses = 4096;
};

class LoginThrottle {
  public:
    using Clock = std::chrono::steady_clock;
    using Settings = LoginThrottleSettings;

    explicit LoginThrottle(Settings settings = {}) : settings_(settings) {}

    // How long a login attempt from `address` waits before its credentials are checked. Reserves that
    // slot: the next attempt from the address waits after this one.
    Clock::duration wait_before_check(const std::string& address, Clock::time_point now);
    // The same, but an attempt that would wait longer than `max_wait` reserves nothing and gets nullopt:
    // it is to be refused without checking its credentials.
    std::optional<Clock::duration> wait_within(const std::string& address, Clock::time_point now,
                                               Clock::duration max_wait);
    void on_failure(const std::string& address, Clock::time_point now);
    void on_success(const std::string& address);

    std::size_t failures(const std::string& address) const;
    std::size_t size() const noexcept { return entries_.size(); }

  private:
    struct Entry {
        std::size_t failures = 0;
        Clock::time_point last_failure;
        Clock::time_point next_check;  // no attempt is checked before this
    };

    Clock::duration delay_after(std::size_t failures) const;
    void make_room(Clock::time_point now);

    Settings settings_;
    std::map<std::string, Entry> entries_;
};

}  // namespace bt::http
