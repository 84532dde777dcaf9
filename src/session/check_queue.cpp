#include "session/check_queue.hpp"

#include <utility>

namespace bt::session {

void CheckQueue::Slot::release() {
    // Emptied first: giving back starts the next check, which may end what holds this slot.
    if (auto queue = std::exchange(queue_, {}).lock()) queue->give_back();
}

std::shared_ptr<CheckQueue> CheckQueue::create(std::size_t slots) {
    return std::shared_ptr<CheckQueue>(new CheckQueue(slots));
}

void CheckQueue::enqueue(Start start) {
    waiting_.push_back(std::move(start));
    start_waiting();
}

void CheckQueue::give_back() {
    --running_;
    start_waiting();
}

void CheckQueue::start_waiting() {
    if (starting_) return;  // the loop below sees the freed slot
    struct Starting {
        bool& flag;
        explicit Starting(bool& f) : flag(f) { flag = true; }
        ~Starting() { flag = false; }
        Starting(const Starting&) = delete;
        Starting& operator=(const Starting&) = delete;
    } starting(starting_);
    while (running_ < slots_ && !waiting_.empty()) {
        auto start = std::move(waiting_.front());
        waiting_.pop_front();
        ++running_;
        // A check not wanted any more lets its slot go inside start(): give_back() finds starting_ set, and
        // this loop goes on with the next.
        start(Slot(weak_from_this()));
    }
}

}  // namespace bt::session
