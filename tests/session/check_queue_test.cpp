#include "session/check_queue.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <vector>

namespace bt::session {
namespace {

// Checks that keep their slot until the test ends them.
struct Running {
    std::deque<std::optional<CheckQueue::Slot>> slots;  // a slot given back adds one: no reallocation
    std::vector<int> started;

    CheckQueue::Start keep(int id) {
        return [this, id](CheckQueue::Slot slot) {
            started.push_back(id);
            slots.emplace_back(std::move(slot));
        };
    }
};

TEST(CheckQueue, RunsAsManyAsItHasSlotsAndTheRestInTheOrderAsked) {
    Running r;  // first: destroyed after the queue, so a slot it gives back starts nothing
    auto queue = CheckQueue::create(2);
    for (int id = 0; id < 5; ++id) queue->enqueue(r.keep(id));
    EXPECT_EQ(r.started, (std::vector<int>{0, 1}));
    EXPECT_EQ(queue->running(), 2u);
    EXPECT_EQ(queue->waiting(), 3u);
    r.slots[1]->release();
    EXPECT_EQ(r.started, (std::vector<int>{0, 1, 2}));
    r.slots[0].reset();  // destroyed: given back too
    EXPECT_EQ(r.started, (std::vector<int>{0, 1, 2, 3}));
    r.slots[1]->release();  // twice: the second gives nothing back
    EXPECT_EQ(r.started, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(queue->running(), 2u);
    EXPECT_EQ(queue->waiting(), 1u);
}

TEST(CheckQueue, ACheckNoLongerWantedPassesItsSlotToTheNext) {
    Running r;
    auto queue = CheckQueue::create(1);
    queue->enqueue(r.keep(0));
    for (int id = 1; id <= 3; ++id)
        queue->enqueue([&r, id](CheckQueue::Slot) { r.started.push_back(-id); });  // stopped meanwhile
    queue->enqueue(r.keep(4));
    EXPECT_EQ(r.started, (std::vector<int>{0}));
    r.slots[0]->release();
    EXPECT_EQ(r.started, (std::vector<int>{0, -1, -2, -3, 4}));
    EXPECT_EQ(queue->running(), 1u);
    EXPECT_EQ(queue->waiting(), 0u);
}

TEST(CheckQueue, ASlotOutlivingItsQueueGivesNothingBack) {
    Running r;
    auto queue = CheckQueue::create(1);
    queue->enqueue(r.keep(0));
    queue->enqueue(r.keep(1));
    queue.reset();
    r.slots[0]->release();  // no queue to give it to (and no crash)
    EXPECT_EQ(r.started, (std::vector<int>{0}));
}

TEST(CheckQueue, ZeroSlotsMeansOne) {
    Running r;
    auto queue = CheckQueue::create(0);
    queue->enqueue(r.keep(0));
    queue->enqueue(r.keep(1));
    EXPECT_EQ(r.started, (std::vector<int>{0}));
}

}  // namespace
}  // namespace bt::session
