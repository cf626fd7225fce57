#pragma once
// Private: how sluice waits for another process to move a counter.
//
// First it yields, which costs well under a microsecond when the other process has a
// core and hands the core over when it does not (oversubscribed jobs). Only then does
// it sleep, with a doubling pause: on Linux a sleep lasts at least the timer slack
// (about 50 us), far longer than a notification should take.
#include <algorithm>
#include <chrono>
#include <thread>

namespace sluice::detail {

class Backoff {
 public:
  explicit Backoff(std::chrono::microseconds longest_pause) : m_longest(longest_pause) {}

  void wait() {
    if (m_yields < yields_before_sleeping) {
      ++m_yields;
      std::this_thread::yield();
      return;
    }
    std::this_thread::sleep_for(m_pause);
    m_pause = std::min(m_pause * 2, m_longest);
  }

 private:
  static constexpr int yields_before_sleeping = 200;
  std::chrono::microseconds m_longest;
  std::chrono::microseconds m_pause{1};
  int m_yields = 0;
};

}  // namespace sluice::detail
