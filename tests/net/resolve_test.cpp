// resolve() against a name server that never answers: it gives up at the deadline, or when cancelled,
// and nothing waits for the abandoned lookup afterwards: not the next lookup, not the io_context's
// destruction. Each case runs in a child process with mount and network namespaces of
// its own (only loopback up), in which /etc/resolv.conf names a silent server on 127.0.0.1:53. Own
// namespaces per case, so that cases running at once (ctest -j) do not compete for port 53. That needs
// root; elsewhere the case is skipped.
#include "net/resolve.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

namespace bt::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kSkip = 77;

// A new network namespace starts with its loopback interface down.
bool bring_loopback_up() {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    bool up = ioctl(fd, SIOCGIFFLAGS, &request) == 0;
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    up = up && ioctl(fd, SIOCSIFFLAGS, &request) == 0;
    close(fd);
    return up;
}

// Puts `content` over `file` in this mount namespace.
bool mount_over(const char* file, const std::string& content) {
    char path[] = "/tmp/bt-resolve-test-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return false;
    const bool written = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    close(fd);
    const bool mounted = written && mount(path, file, nullptr, MS_BIND, nullptr) == 0;
    unlink(path);
    return mounted;
}

// In the child: a private /etc/resolv.conf naming 127.0.0.1, and a UDP socket there that never answers;
// a private /etc/hosts in which "tracker.hosts" is 127.0.0.1, a name found without the name server.
// Returns false when this machine does not allow it.
bool silence_the_name_server(asio::io_context& io, std::optional<asio::ip::udp::socket>& server) {
    if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0 || !bring_loopback_up()) return false;
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
    if (!mount_over("/etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:30 attempts:1\n"))
        return false;
    if (!mount_over("/etc/hosts", "127.0.0.1 localhost tracker.hosts\n")) return false;
    // Only files and DNS: a name service that goes through a daemon (nscd, systemd-resolved) would reach
    // the host's network namespace, and its name servers.
    if (!mount_over("/etc/nsswitch.conf", "hosts: files dns\n")) return false;
    try {
        server.emplace(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 53));
    } catch (const std::system_error&) {
        return false;
    }
    return true;
}

// Runs `body` in a child and returns the child's exit code, `body`'s result. The child leaves with _exit:
// a forked copy of the test process must not run its exit handlers (nor, with the old resolver, wait for
// the lookup thread).
template <class Body>
int in_child(Body body) {
    const pid_t pid = fork();
    if (pid == 0) _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `body` in a child (in_child) and expects it to exit with `expected`; `codes` says what each code
// means.
template <class Body>
void expect_child_exit(int expected, Body body, const char* codes) {
    const int code = in_child(body);
    if (code == kSkip) GTEST_SKIP() << "needs root (mount and network namespaces of its own)";
    EXPECT_EQ(code, expected) << codes;
}

// Resolves "tracker.test": 0 timed out, 1 cancelled, 2 other, 3 stuck, kSkip.
int outcome(Clock::duration deadline_in, std::optional<Clock::duration> cancel_after) {
    static asio::io_context io;  // never destroyed: the child leaves with _exit
    static std::optional<asio::ip::udp::socket> server;
    if (!silence_the_name_server(io, server)) return kSkip;
    std::atomic<bool> cancel = false;
    std::optional<Result<std::vector<asio::ip::tcp::endpoint>, ResolveFailure>> out;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            out = co_await resolve<asio::ip::tcp>("tracker.test", 80, Clock::now() + deadline_in, &cancel);
        },
        asio::detached);
    const auto start = Clock::now();
    while (!out) {
        io.run_one_for(50ms);
        if (cancel_after && Clock::now() - start >= *cancel_after) cancel = true;
        if (Clock::now() - start > 20s) return 3;  // stuck behind the lookup: the bug this guards against
    }
    if (*out) return 2;
    switch (out->error().kind) {
        case ResolveFailure::Kind::timed_out:
            return 0;
        case ResolveFailure::Kind::cancelled:
            return 1;
        case ResolveFailure::Kind::error:
            return 2;
    }
    return 2;
}

TEST(Resolve, ASilentNameServerEndsAtTheDeadline) {
    expect_child_exit(
        0, [] { return outcome(300ms, std::nullopt); },
        "0 timed out, 1 cancelled, 2 resolved or failed otherwise, 3 waited for the lookup");
}

TEST(Resolve, CancellingAbandonsALookupInProgress) {
    expect_child_exit(
        1, [] { return outcome(60s, 300ms); },
        "0 timed out, 1 cancelled, 2 resolved or failed otherwise, 3 waited for the lookup");
}

// The lookup of "tracker.test" ends at its deadline, then the io_context runs out of work and is destroyed,
// as at the end of a download. 0: all that took well under the name server's 30 s, 3: something (run() or
// the destructor) waited for the lookup, 2: the lookup ended otherwise.
int shutdown_outcome() {
    static asio::io_context server_io;  // never destroyed: the child leaves with _exit
    static std::optional<asio::ip::udp::socket> server;
    if (!silence_the_name_server(server_io, server)) return kSkip;
    const auto start = Clock::now();
    auto io = std::make_unique<asio::io_context>();
    std::optional<Result<std::vector<asio::ip::tcp::endpoint>, ResolveFailure>> out;
    asio::co_spawn(
        *io,
        [&]() -> asio::awaitable<void> {
            out = co_await resolve<asio::ip::tcp>("tracker.test", 80, Clock::now() + 300ms, nullptr);
        },
        asio::detached);
    io->run();
    io.reset();
    if (Clock::now() - start > 20s) return 3;
    return out && !*out && out->error().kind == ResolveFailure::Kind::timed_out ? 0 : 2;
}

// While "tracker.test" hangs, "tracker.hosts" (from /etc/hosts) is looked up with a 10 s deadline.
// 0: it resolved to 127.0.0.1, 3: it waited behind the hanging lookup until its deadline, 2: other.
int concurrent_outcome() {
    static asio::io_context io;  // never destroyed: the child leaves with _exit
    static std::optional<asio::ip::udp::socket> server;
    if (!silence_the_name_server(io, server)) return kSkip;
    std::atomic<bool> cancel = false;
    std::optional<Result<std::vector<asio::ip::tcp::endpoint>, ResolveFailure>> hanging, listed;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            hanging = co_await resolve<asio::ip::tcp>("tracker.test", 80, Clock::now() + 60s, &cancel);
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            listed = co_await resolve<asio::ip::tcp>("tracker.hosts", 80, Clock::now() + 10s, nullptr);
            cancel = true;
        },
        asio::detached);
    while (!hanging || !listed) io.run_one();
    if (!*listed) return listed->error().kind == ResolveFailure::Kind::timed_out ? 3 : 2;
    const auto loopback = asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 80);
    return **listed == std::vector{loopback} ? 0 : 2;
}

int threads_in_this_process() {
    int n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
    return n;
}

// Twenty different names hang at once. 0: at most kMaxLookups threads were started for them, 2: more.
int capped_outcome() {
    static asio::io_context io;  // never destroyed: the child leaves with _exit
    static std::optional<asio::ip::udp::socket> server;
    if (!silence_the_name_server(io, server)) return kSkip;
    const int before = threads_in_this_process();
    std::atomic<bool> cancel = false;
    int ended = 0;
    for (int i = 0; i < 20; ++i) {
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                co_await resolve<asio::ip::tcp>("t" + std::to_string(i) + ".test", 80, Clock::now() + 60s,
                                                &cancel);
                ++ended;
            },
            asio::detached);
    }
    io.run_for(300ms);
    const int during = threads_in_this_process();
    cancel = true;
    while (ended < 20) io.run_one();
    return during - before <= kMaxLookups ? 0 : 2;
}

// The name server answers (NXDOMAIN) 600 ms after each query, when the lookup was abandoned at 200 ms and
// its io_context destroyed: the lookup's thread then finishes on its own. 0: it did (the process is back
// to its main thread and the server's), 2: it did not, or the lookup did not time out. Under ASan, a thread
// that touched the destroyed io_context or coroutine would abort the child instead.
int late_answer_outcome() {
    static asio::io_context server_io;  // never destroyed: the child leaves with _exit
    static std::optional<asio::ip::udp::socket> server;
    if (!silence_the_name_server(server_io, server)) return kSkip;
    std::thread([fd = server->native_handle()] {
        for (;;) {
            std::uint8_t query[512];
            sockaddr_storage from{};
            socklen_t from_size = sizeof from;
            const auto n =
                recvfrom(fd, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&from), &from_size);
            if (n < 12) return;
            std::this_thread::sleep_for(600ms);
            query[2] |= 0x80;                                                // a response
            query[3] = static_cast<std::uint8_t>((query[3] & 0x70) | 0x83);  // recursion available, NXDOMAIN
            sendto(fd, query, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), from_size);
        }
    }).detach();
    const int before = threads_in_this_process();
    std::optional<Result<std::vector<asio::ip::tcp::endpoint>, ResolveFailure>> out;
    {
        asio::io_context io;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                out = co_await resolve<asio::ip::tcp>("tracker.test", 80, Clock::now() + 200ms, nullptr);
            },
            asio::detached);
        io.run();
    }
    if (!out || *out || out->error().kind != ResolveFailure::Kind::timed_out) return 2;
    for (int i = 0; i < 100 && threads_in_this_process() > before; ++i) std::this_thread::sleep_for(50ms);
    return threads_in_this_process() == before ? 0 : 2;
}

TEST(Resolve, AtMostKMaxLookupsThreadsRunAtOnce) {
    expect_child_exit(0, capped_outcome, "0 capped, 2 more threads than kMaxLookups");
}

TEST(Resolve, AnAbandonedLookupEndsOnItsOwnWhenTheAnswerComesLate) {
    expect_child_exit(0, late_answer_outcome,
                      "0 the lookup's thread ended, 2 it did not (or the lookup did not time out)");
}

TEST(Resolve, NothingWaitsForAnAbandonedLookupAtShutdown) {
    expect_child_exit(0, shutdown_outcome,
                      "0 shut down at once, 2 the lookup did not time out, 3 the shutdown waited for it");
}

TEST(Resolve, AHangingLookupDoesNotHoldUpTheNext) {
    expect_child_exit(0, concurrent_outcome,
                      "0 resolved, 2 failed otherwise, 3 timed out behind the hanging lookup");
}

TEST(Resolve, AnAddressLiteralNeedsNoLookup) {
    asio::io_context io;
    std::optional<Result<std::vector<asio::ip::tcp::endpoint>, ResolveFailure>> out;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            out = co_await resolve<asio::ip::tcp>("::1", 6969, Clock::now() + 1s, nullptr);
        },
        asio::detached);
    io.run();
    ASSERT_TRUE(out && *out);
    ASSERT_EQ((*out)->size(), 1u);
    EXPECT_EQ((*out)->front(), asio::ip::tcp::endpoint(asio::ip::make_address("::1"), 6969));
}

}  // namespace
}  // namespace bt::net
