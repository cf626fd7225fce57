#pragma once
// The clock both sides of the wake-up benchmark read: CLOCK_MONOTONIC, which every
// process of a node shares, so a time taken by the producer compares with the reader's.
#include <cstdint>
#include <ctime>

inline std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}
