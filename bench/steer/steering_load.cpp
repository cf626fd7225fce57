// Steering load for the slowdown measurement of bench/steer/steering_bench.py: N
// clients (one thread and one connection each) call set("x", v) at a given total rate,
// or as fast as they can, until the simulation finishes. The driver compares the
// simulation's loop time under this load with its time unsteered.
//
//   build/bench/steer/bm_steering_load --port-file steer.port --clients 8 --rate 5000
//
// All clients connect before any of them sends, so the simulation (started with
// --wait-for-steering) starts timing once the whole load is on. Prints key=value lines:
// clients, target_rate, requests, seconds, requests_per_s, median_us, p99_us.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/steering/client.hpp"
#include "steering_bench_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string port_file;
  int clients = 8;
  double rate = 0.0;           ///< total requests/s; 0: as fast as they go
  double max_seconds = 120.0;  ///< give up even if the simulation runs on
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    const std::string value = argv[i + 1];
    if (arg == "--port-file") {
      o.port_file = value;
    } else if (arg == "--clients") {
      o.clients = std::stoi(value);
    } else if (arg == "--rate") {
      o.rate = std::stod(value);
    } else if (arg == "--max-seconds") {
      o.max_seconds = std::stod(value);
    } else {
      std::fprintf(stderr, "bm_steering_load: unknown option %s\n", arg.c_str());
      std::exit(2);
    }
  }
  if (argc % 2 == 0 || o.port_file.empty() || o.clients < 1 || o.rate < 0.0) {
    std::fprintf(stderr,
                 "usage: bm_steering_load --port-file FILE [--clients N] [--rate REQ_PER_S]\n"
                 "                        [--max-seconds S]\n");
    std::exit(2);
  }
  return o;
}

struct ThreadResult {
  std::vector<double> latency_seconds;
  Clock::time_point last_answer{};
  std::string failure;  ///< anything but the simulation's end
};

}  // namespace

int main(int argc, char** argv) {
  using sluice::steering::ErrorKind;
  const Options o = parse(argc, argv);
  sluice::steering::ClientOptions client_options;
  client_options.port = steering_bench::wait_for_port(o.port_file, std::chrono::seconds(60));
  if (client_options.port == 0) {
    std::fprintf(stderr, "bm_steering_load: no port in %s after 60 s\n", o.port_file.c_str());
    return 1;
  }

  std::vector<ThreadResult> results(static_cast<std::size_t>(o.clients));
  std::latch connected(o.clients + 1);
  Clock::time_point start;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      ThreadResult& mine = results[static_cast<std::size_t>(t)];
      std::unique_ptr<sluice::steering::Client> client;
      try {
        client = std::make_unique<sluice::steering::Client>(client_options);
      } catch (const sluice::steering::Error& e) {
        mine.failure = std::string("connect: ") + e.what();
      }
      connected.arrive_and_wait();
      while (!go.load()) {
        std::this_thread::yield();
      }
      if (!client) {
        return;
      }
      // Each client's share of the rate, staggered so that they do not send in step.
      const auto period = o.rate > 0.0 ? std::chrono::duration<double>(o.clients / o.rate)
                                       : std::chrono::duration<double>(0.0);
      auto next = start + std::chrono::duration_cast<Clock::duration>(period * t / o.clients);
      const auto give_up = start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(o.max_seconds));
      for (std::int64_t i = 0;; ++i) {
        if (o.rate > 0.0) {
          std::this_thread::sleep_until(next);
          next += std::chrono::duration_cast<Clock::duration>(period);
          // Fallen far behind (the host is busy): do not burst to catch up.
          if (Clock::now() > next + std::chrono::duration_cast<Clock::duration>(10 * period)) {
            next = Clock::now();
          }
        }
        const auto sent = Clock::now();
        if (sent > give_up) {
          return;
        }
        try {
          (void)client->set("x", static_cast<double>(t) + 1e-6 * static_cast<double>(i));
        } catch (const sluice::steering::Error& e) {
          // The simulation finished, or the server left with it: the load is over.
          if (e.kind() != ErrorKind::simulation_finished && e.kind() != ErrorKind::connection) {
            mine.failure = e.what();
          }
          return;
        }
        mine.last_answer = Clock::now();
        mine.latency_seconds.push_back(
            std::chrono::duration<double>(mine.last_answer - sent).count());
      }
    });
  }
  connected.arrive_and_wait();
  start = Clock::now();
  go.store(true);
  for (auto& thread : threads) {
    thread.join();
  }

  std::vector<double> all;
  Clock::time_point last = start;
  int failures = 0;
  for (const auto& r : results) {
    all.insert(all.end(), r.latency_seconds.begin(), r.latency_seconds.end());
    last = std::max(last, r.last_answer);
    if (!r.failure.empty()) {
      std::fprintf(stderr, "bm_steering_load: a client failed: %s\n", r.failure.c_str());
      ++failures;
    }
  }
  const double seconds = std::chrono::duration<double>(last - start).count();
  std::printf("clients=%d\n", o.clients);
  std::printf("target_rate=%.0f\n", o.rate);
  std::printf("requests=%zu\n", all.size());
  std::printf("seconds=%.6f\n", seconds);
  std::printf("requests_per_s=%.1f\n",
              seconds > 0.0 ? static_cast<double>(all.size()) / seconds : 0.0);
  std::printf("median_us=%.1f\n", steering_bench::percentile_us(all, 0.5));
  std::printf("p99_us=%.1f\n", steering_bench::percentile_us(all, 0.99));
  return failures == 0 ? 0 : 1;
}
