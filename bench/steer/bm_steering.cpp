// Steering round trips through Thrift on loopback, against a running simulation
// (bench/steer/bm_steering_sim) and its sluice-steering-server. Not an MPI program: a
// client, as an analytics program or a user's script would be.
//
// Side by side:
//   bm_thrift_floor      a request the server refuses itself (a stream change that
//                        changes nothing):
//                        Thrift + loopback TCP only, the floor of every call;
//   bm_get_round_trip    get("x"): server -> simulation rank 0 over MPI, answered when
//                        rank 0 next looks for requests (in its end_iteration);
//   bm_set_round_trip    set("x", v): the same, applied at the iteration boundary;
//   .../threads:8        eight concurrent clients, one connection each: requests/s.
// Counters: median_us / p99_us of single calls (per-thread percentiles, averaged over
// threads) and requests_per_s (all threads together).
//
//   build/bench/steer/bm_steering --port-file steer.port [--stop] [benchmark flags]
//
// The port file is the one sluice-steering-server --port-file writes (also taken from
// SLUICE_STEER_PORT_FILE); --stop stops the simulation after the benchmarks.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "sluice/steering/client.hpp"
#include "steering_bench_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

int server_port = 0;

sluice::steering::ClientOptions client_options() {
  sluice::steering::ClientOptions options;
  options.port = server_port;
  return options;
}

// Latencies of one thread's calls; percentiles become counters when the run ends.
class Latencies {
 public:
  explicit Latencies(benchmark::State& state) : m_state(state) {
    m_seconds.reserve(static_cast<std::size_t>(state.max_iterations));
  }
  template <typename Call>
  void time(Call&& call) {
    const auto start = Clock::now();
    call();
    m_seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  void report() {
    if (m_seconds.empty()) {
      return;
    }
    m_state.counters["median_us"] =
        benchmark::Counter(percentile(0.5) * 1e6, benchmark::Counter::kAvgThreads);
    m_state.counters["p99_us"] =
        benchmark::Counter(percentile(0.99) * 1e6, benchmark::Counter::kAvgThreads);
    m_state.counters["requests_per_s"] =
        benchmark::Counter(static_cast<double>(m_seconds.size()), benchmark::Counter::kIsRate);
  }

 private:
  double percentile(double fraction) {
    const auto at = static_cast<std::size_t>(fraction * static_cast<double>(m_seconds.size() - 1));
    std::nth_element(m_seconds.begin(), m_seconds.begin() + static_cast<std::ptrdiff_t>(at),
                     m_seconds.end());
    return m_seconds[at];
  }

  benchmark::State& m_state;
  std::vector<double> m_seconds;
};

// Runs `call(client, i)` once per benchmark iteration on this thread's own connection.
template <typename Call>
void run_calls(benchmark::State& state, Call&& call) {
  try {
    sluice::steering::Client client(client_options());
    Latencies latencies(state);
    std::int64_t i = 0;
    for (auto _ : state) {
      latencies.time([&] { call(client, i++); });
    }
    latencies.report();
  } catch (const sluice::steering::Error& e) {
    state.SkipWithError(e.what());
  }
}

void bm_thrift_floor(benchmark::State& state) {
  run_calls(state, [](sluice::steering::Client& client, std::int64_t) {
    try {
      (void)client.control_stream("x", {});
    } catch (const sluice::steering::Error& e) {
      // Refused by the server before it reaches the simulation: what we measure.
      if (e.kind() != sluice::steering::ErrorKind::bad_request) {
        throw;
      }
    }
  });
}

void bm_get_round_trip(benchmark::State& state) {
  run_calls(state, [](sluice::steering::Client& client, std::int64_t) {
    benchmark::DoNotOptimize(client.get("x"));
  });
}

void bm_set_round_trip(benchmark::State& state) {
  run_calls(state, [&state](sluice::steering::Client& client, std::int64_t i) {
    // Distinct values per thread and call: every set is a real change.
    const double value = static_cast<double>(state.thread_index()) + 1e-6 * static_cast<double>(i);
    benchmark::DoNotOptimize(client.set("x", value));
  });
}

BENCHMARK(bm_thrift_floor)->UseRealTime()->Threads(1)->Threads(8);
BENCHMARK(bm_get_round_trip)->UseRealTime()->Threads(1);
BENCHMARK(bm_set_round_trip)->UseRealTime()->Threads(1)->Threads(8);

}  // namespace

int main(int argc, char** argv) {
  // Our own flags first; the rest are Google Benchmark's.
  std::string port_file;
  if (const char* from_env = std::getenv("SLUICE_STEER_PORT_FILE")) {
    port_file = from_env;
  }
  bool stop_after = false;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port-file" && i + 1 < argc) {
      port_file = argv[++i];
    } else if (arg == "--stop") {
      stop_after = true;
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (port_file.empty()) {
    std::fprintf(stderr,
                 "bm_steering: give the steering server's port file (--port-file FILE or "
                 "SLUICE_STEER_PORT_FILE); see bench/steer/steering_bench.py\n");
    return 2;
  }
  server_port = steering_bench::wait_for_port(port_file, std::chrono::seconds(60));
  if (server_port == 0) {
    std::fprintf(stderr, "bm_steering: no port in %s after 60 s: is the job running?\n",
                 port_file.c_str());
    return 1;
  }
  int rest_count = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_count, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_count, rest.data())) {
    return 2;
  }
  benchmark::AddCustomContext("steering_server", "127.0.0.1:" + std::to_string(server_port));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (stop_after) {
    try {
      sluice::steering::Client client(client_options());
      (void)client.stop();
    } catch (const sluice::steering::Error& e) {
      std::fprintf(stderr, "bm_steering: could not stop the simulation: %s\n", e.what());
      return 1;
    }
  }
  return 0;
}
