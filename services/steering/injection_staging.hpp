#pragma once
// Injections on their way in: a client opens one, sends its bytes in chunks under the
// frame bound, and commits it; only then is it forwarded to the simulation, whole, so
// that every byte lands at the same iteration. Bounded in count, size and idle time,
// so a client that opens injections and walks away cannot exhaust the server.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sluice/steer/stream_control.hpp"

namespace sluice::steering {

struct StagedInjection {
  std::string stream;
  std::string dtype;
  sluice::Box region;  ///< resolved
  std::size_t expected_bytes = 0;
  bool allow_nonfinite = false;  ///< NaN and infinities pass the commit's check
  std::vector<std::byte> data;
  std::chrono::steady_clock::time_point touched;
};

class InjectionStaging {
 public:
  static constexpr std::size_t max_open = 16;
  static constexpr std::size_t max_total_bytes = std::size_t{1} << 30;
  static constexpr std::chrono::seconds idle_limit{60};

  // The new injection's id, or why not (too many open, too large in total).
  struct Opened {
    std::int64_t id = 0;
    std::string refused;
  };
  Opened open(StagedInjection injection);
  // The bytes received so far, or why not (unknown id, more bytes than announced).
  struct Added {
    std::int64_t received = 0;
    std::string refused;
  };
  Added add(std::int64_t id, const std::string& bytes);
  // The whole injection, removed from the staging area; or why not (unknown id,
  // bytes missing).
  struct Taken {
    std::optional<StagedInjection> injection;
    std::string refused;
  };
  Taken take(std::int64_t id);

 private:
  void drop_idle();  // with the mutex held

  std::mutex m_mutex;
  std::map<std::int64_t, StagedInjection> m_open;
  std::size_t m_total_bytes = 0;  // announced by the open injections
  std::int64_t m_next_id = 1;
};

}  // namespace sluice::steering
