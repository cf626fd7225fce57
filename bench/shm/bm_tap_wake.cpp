// How soon an external reader that waits sees an iteration: a process outside the MPI
// job (this one) taps "clock" of clock_producer, which commits its CLOCK_MONOTONIC
// time; after each Tap::wait_next() returns, the difference between now and the
// committed time is the commit-to-visibility latency (mirror copy, futex wake-up,
// scheduling). Prints the median, 90th and 99th percentiles over --samples wake-ups.
//
//   bench/shm/tap_wake.py MPIRUN CLOCK_PRODUCER BM_TAP_WAKE   (runs both)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "monotonic_clock.hpp"
#include "sluice/shm/tap.hpp"

int main(int argc, char** argv) {
  std::string job;
  long long samples = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--job") job = argv[i + 1];
    if (arg == "--samples") samples = std::stoll(argv[i + 1]);
  }
  sluice::shm::Tap tap(job, "clock");
  std::vector<double> latency_us;
  std::int64_t last = -1;
  std::int64_t stamp = 0;
  while (static_cast<long long>(latency_us.size()) < samples) {
    const auto next = tap.wait_next(last, std::chrono::seconds(5));
    const std::int64_t woke = monotonic_ns();
    if (next.status != sluice::shm::TapStatus::ok) {
      std::fprintf(stderr, "bm_tap_wake: %s after %zu samples\n",
                   std::string(sluice::shm::tap_status_name(next.status)).c_str(),
                   latency_us.size());
      break;
    }
    const auto got = tap.read_latest({}, &stamp, sizeof(stamp));
    // Only wake-ups for the very iteration read count (not a backlog).
    if (got.status == sluice::shm::TapStatus::ok && got.iteration == next.iteration && last >= 0) {
      latency_us.push_back(static_cast<double>(woke - stamp) / 1000.0);
    }
    last = got.iteration;
  }
  if (latency_us.empty()) {
    return 1;
  }
  std::sort(latency_us.begin(), latency_us.end());
  auto at = [&](double q) {
    return latency_us[static_cast<std::size_t>(q * (latency_us.size() - 1))];
  };
  std::printf(
      "commit to external reader awake: median %.1f us, p90 %.1f us, p99 %.1f us "
      "(%zu wake-ups)\n",
      at(0.5), at(0.9), at(0.99), latency_us.size());
  return 0;
}
