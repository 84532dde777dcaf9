#pragma once
// CheckQueue: how many torrents check their files at once, session-wide. A daemon restarting with ten
// thousand torrents would otherwise start ten thousand checks together, each a job (and its coroutine
// frames) queued on the disk pool that has only a few threads: megabytes of frames at once, and a heap
// left fragmented after them. With a few slots the rest wait as one small callback each, in the order they
// asked, and a check that hashes a large torrent does not hold up every quick one behind it.
//
// Pure: no I/O. A waiting check that is no longer wanted (its torrent stopped or removed meanwhile) says
// so when its turn comes, and the slot goes to the next.
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>

namespace bt::session {

class CheckQueue : public std::enable_shared_from_this<CheckQueue> {
  public:
    // A slot held by a running check: given back when released or destroyed, once. It refers to the queue
    // weakly, so a check outliving the session gives nothing back to a queue that is gone.
    class Slot {
      public:
        explicit Slot(std::weak_ptr<CheckQueue> queue) : queue_(std::move(queue)) {}
        Slot(Slot&& other) noexcept = default;
        Slot& operator=(Slot&& other) = delete;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { release(); }

        void release();

      private:
        std::weak_ptr<CheckQueue> queue_;
    };

    // Called with the slot when its turn comes: the check keeps it while it runs, or lets it go at once
    // when it is no longer wanted.
    using Start = std::function<void(Slot)>;

    // Made shared: slots hold it weakly.
    static std::shared_ptr<CheckQueue> create(std::size_t slots);

    // Runs `start` at once if a slot is free, else when one is (first asked, first served).
    void enqueue(Start start);
    std::size_t running() const noexcept { return running_; }
    std::size_t waiting() const noexcept { return waiting_.size(); }

  private:
    explicit CheckQueue(std::size_t slots) : slots_(slots == 0 ? 1 : slots) {}
    void give_back();
    // Starts waiting checks while slots are free.
    void start_waiting();

    std::size_t slots_;
    std::size_t running_ = 0;
    bool starting_ = false;  // start_waiting() is on the stack: a release inside it does not recurse
    std::deque<Start> waiting_;
};

}  // namespace bt::session
