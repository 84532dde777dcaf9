#pragma once
// The DHT's time: passed in by the caller (the node has no clock of its own).
#include <chrono>

namespace bt::dht {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

}  // namespace bt::dht
