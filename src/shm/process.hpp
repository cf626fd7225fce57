#pragma once
// Private: who is alive on this node, the clock every process shares, and the futex
// that lets readers sleep until a producer writes.
#include <atomic>
#include <chrono>
#include <cstdint>

#include "segment.hpp"

namespace sluice::shm::detail {

[[nodiscard]] ProcessId this_process();
// Whether the process still runs (and is the same one: pids are reused).
[[nodiscard]] bool is_alive(const ProcessId& process);
// CLOCK_MONOTONIC, comparable between the processes of a node.
[[nodiscard]] std::uint64_t monotonic_ns();

// Sleeps while `word` holds `expected`, at most `timeout` (spurious wake-ups happen).
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout);
void futex_wake_all(std::atomic<std::uint32_t>& word);

}  // namespace sluice::shm::detail
