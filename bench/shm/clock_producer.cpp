// The producer of the external-reader wake-up benchmark: one simulation rank publishes
// "clock" (i64, 1 element), the CLOCK_MONOTONIC nanoseconds of the moment it commits,
// every --period-us, for --iterations iterations; it writes the job id to --job-file.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

#include "monotonic_clock.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/mpi/environment.hpp"

int main(int argc, char** argv) {
  std::string job_file;
  long long iterations = 3000;
  long long period_us = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--job-file") job_file = argv[i + 1];
    if (arg == "--iterations") iterations = std::stoll(argv[i + 1]);
    if (arg == "--period-us") period_us = std::stoll(argv[i + 1]);
  }
  sluice::mpi::Environment mpi(argc, argv);
  sluice::Runtime rt(sluice::Role::simulation);
  {
    sluice::channel::Bridge bridge(rt);
    auto& clock = bridge.expose<std::int64_t>("clock", {{1}, {0}, {1}, {}, {}},
                                              {2, sluice::channel::Policy::latest});
    bridge.start();
    std::ofstream(job_file + ".partial") << bridge.job_id() << "\n";
    std::rename((job_file + ".partial").c_str(), job_file.c_str());
    auto next = std::chrono::steady_clock::now();
    for (long long k = 0; k < iterations; ++k) {
      next += std::chrono::microseconds(period_us);
      std::this_thread::sleep_until(next);
      std::int64_t* slot = clock.slot<std::int64_t>(k);
      *slot = monotonic_ns();
      clock.commit(k);
      bridge.end_iteration(k);
    }
    bridge.close();
  }
  rt.free();
  return 0;
}
