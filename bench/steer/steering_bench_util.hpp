#pragma once
// Shared by the steering benchmark's programs: waiting for the server's port file, and
// percentiles of measured latencies.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace steering_bench {

// Reads the port once the server has written it (it renames a complete file into
// place); 0 if none came within `timeout`.
inline int wait_for_port(const std::string& path, std::chrono::seconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < give_up) {
    std::ifstream file(path);
    int port = 0;
    if (file >> port && port > 0) {
      return port;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// The `fraction` percentile of durations in seconds, in microseconds (0 if none).
inline double percentile_us(std::vector<double> seconds, double fraction) {
  if (seconds.empty()) {
    return 0.0;
  }
  const auto at = static_cast<std::size_t>(fraction * static_cast<double>(seconds.size() - 1));
  std::nth_element(seconds.begin(), seconds.begin() + static_cast<std::ptrdiff_t>(at),
                   seconds.end());
  return seconds[at] * 1e6;
}

}  // namespace steering_bench
