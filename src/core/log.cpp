#include "sluice/core/log.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

namespace sluice::log {
namespace {

constexpr Level default_level = Level::warn;

Level level_from_environment() noexcept {
  const char* value = std::getenv("SLUICE_LOG");
  if (value == nullptr || *value == '\0') {
    return default_level;
  }
  if (auto level = parse_level(value)) {
    return *level;
  }
  // Not an exception: a typo in a logging variable must not stop a simulation.
  std::string complaint = "[sluice] warn: SLUICE_LOG='";
  complaint += value;
  complaint += "' is not a level; use error, warn, info or debug. Using warn.\n";
  (void)!::write(STDERR_FILENO, complaint.data(), complaint.size());
  return default_level;
}

std::atomic<Level>& threshold_storage() noexcept {
  static std::atomic<Level> level{level_from_environment()};
  return level;
}

// The prefix changes once or twice per process (at Runtime start); a mutex is enough.
std::mutex& prefix_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::string& prefix_storage() {
  static std::string prefix = "[sluice]";
  return prefix;
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) noexcept {
  static constexpr std::array<Level, 4> levels{Level::error, Level::warn, Level::info,
                                               Level::debug};
  for (Level level : levels) {
    if (name == level_name(level)) {
      return level;
    }
  }
  if (name == "warning") {
    return Level::warn;
  }
  return std::nullopt;
}

std::string_view level_name(Level level) noexcept {
  switch (level) {
    case Level::error:
      return "error";
    case Level::warn:
      return "warn";
    case Level::info:
      return "info";
    case Level::debug:
      return "debug";
  }
  return "unknown";
}

Level threshold() noexcept { return threshold_storage().load(std::memory_order_relaxed); }

void set_threshold(Level level) noexcept {
  threshold_storage().store(level, std::memory_order_relaxed);
}

void set_identity(std::string_view role, int rank) {
  std::string prefix = "[sluice ";
  prefix += role;
  prefix += ' ';
  prefix += std::to_string(rank);
  prefix += ']';
  std::lock_guard lock(prefix_mutex());
  prefix_storage() = std::move(prefix);
}

std::string prefix() {
  std::lock_guard lock(prefix_mutex());
  return prefix_storage();
}

void write(Level level, std::string_view message) {
  std::string line = prefix();
  line += ' ';
  line += level_name(level);
  line += ": ";
  line += message;
  line += '\n';
  // One write(2) per line: atomic with respect to other lines of this process, and
  // unbuffered so nothing is lost if the job is killed right after.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace sluice::log
