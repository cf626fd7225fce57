#include "process.hpp"

#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice::shm::detail {

namespace {

// Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot; 0 if gone,
// or if it is a zombie (exited, not yet reaped: its parent may be dead too).
std::uint64_t start_ticks_of(std::int64_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(file, line)) {
    return 0;
  }
  // The command name (field 2) is in parentheses and may hold spaces: skip past it.
  const auto close = line.rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  std::istringstream rest(line.substr(close + 2));
  char state = '?';
  rest >> state;
  if (state == 'Z' || state == 'X') {
    return 0;
  }
  std::string field;
  for (int index = 4; index < 22 && rest >> field; ++index) {
  }
  std::uint64_t ticks = 0;
  rest >> ticks;
  return ticks;
}

}  // namespace

ProcessId this_process() {
  const auto pid = static_cast<std::int64_t>(::getpid());
  return {pid, start_ticks_of(pid)};
}

bool is_alive(const ProcessId& process) {
  if (process.pid <= 0) {
    return false;
  }
  if (::kill(static_cast<pid_t>(process.pid), 0) != 0 && errno != EPERM) {
    return false;
  }
  return start_ticks_of(process.pid) == process.start_ticks;
}

std::uint64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000U +
         static_cast<std::uint64_t>(now.tv_nsec);
}

// A shared (not FUTEX_PRIVATE) futex: the word lives in memory other processes map.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout) {
  timespec limit{};
  limit.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  limit.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, &limit,
            nullptr, 0);
}

void futex_wake_all(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, INT_MAX, nullptr,
            nullptr, 0);
}

}  // namespace sluice::shm::detail
