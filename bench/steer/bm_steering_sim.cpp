// The simulation side of the steering benchmark (bench/steer/steering_bench.py): a time
// loop of fixed arithmetic per iteration with one steerable parameter "x", the loop a
// steered simulation runs. Run alone it is the unsteered baseline; next to
// sluice-steering-server it is the simulation that clients steer.
//
//   scripts/sluice-mpirun -np 1 build/bench/steer/bm_steering_sim --work-us 50 --iters 20000
//   scripts/sluice-mpirun -np 1 build/bench/steer/bm_steering_sim --work-units 180 --iters 0
//       : -np 1 build/services/sluice-steering-server --port-file steer.port   (one line)
//
// The work per iteration is a fixed number of sweeps over a small array (--work-units),
// not a fixed time, so that whatever takes the CPU away from the loop shows up in its
// wall time. --work-us calibrates the count once (and prints it); the driver passes the
// same --work-units to every run it compares.
//
// Rank 0 prints key=value lines on stdout: work_units, iterations, loop_seconds (wall
// time of the timed iterations), loop_cpu_seconds (CPU time of the loop's thread over
// the same iterations), end_iteration_seconds (the part spent in end_iteration),
// iteration_p50_us / iteration_p99_us, involuntary_switches (times the loop's thread was
// preempted), changes (iterations from which a new value of "x" held), cpus (where the
// process may run).
#include <mpi.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sluice/channel/bridge.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"
#include "steering_bench_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::int64_t iters = 20000;   ///< timed iterations; 0: until a client stops the job
  std::int64_t warmup = 1000;   ///< untimed iterations first
  double work_us = 50.0;        ///< calibrate the work to about this long (if no units)
  std::int64_t work_units = 0;  ///< sweeps per iteration; 0: calibrate from work_us
  bool wait_for_steering = false;
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: bm_steering_sim [--iters N] [--warmup N] [--work-us US | --work-units U]\n"
               "                       [--wait-for-steering]\n"
               "  --iters N            timed iterations (default 20000; 0: until stopped)\n"
               "  --warmup N           untimed iterations before them (default 1000)\n"
               "  --work-us US         calibrate the work per iteration to US (default 50)\n"
               "  --work-units U       sweeps per iteration, as printed by a calibrated run\n"
               "  --wait-for-steering  after the warm-up, keep iterating untimed until the\n"
               "                       first change of \"x\" holds (clients are connected)\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      std::exit(0);
    }
    if (arg == "--wait-for-steering") {
      o.wait_for_steering = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bm_steering_sim: %s needs a value\n", argv[i]);
      std::exit(2);
    }
    const std::string value = argv[++i];
    try {
      if (arg == "--iters") {
        o.iters = std::stoll(value);
      } else if (arg == "--warmup") {
        o.warmup = std::stoll(value);
      } else if (arg == "--work-us") {
        o.work_us = std::stod(value);
      } else if (arg == "--work-units") {
        o.work_units = std::stoll(value);
      } else {
        std::fprintf(stderr, "bm_steering_sim: unknown option %s\n", arg.c_str());
        usage(stderr);
        std::exit(2);
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "bm_steering_sim: %s takes a number, not '%s'\n", arg.c_str(),
                   value.c_str());
      std::exit(2);
    }
  }
  if (o.iters < 0 || o.warmup < 0 || o.work_units < 0 || o.work_us <= 0.0) {
    std::fprintf(stderr, "bm_steering_sim: counts are >= 0, --work-us positive\n");
    std::exit(2);
  }
  return o;
}

// The simulation's "physics": `units` relaxation sweeps over a small array (it stays in
// L1), pulled towards 1000 + x: never towards 0, where denormals would make the cost
// of an iteration depend on the steered value.
class Work {
 public:
  void run(std::int64_t units, double x) {
    const double source = 1.0 + 0.001 * x;
    for (std::int64_t u = 0; u < units; ++u) {
      for (std::size_t i = 0; i < m_field.size(); ++i) {
        m_field[i] = 0.999 * m_field[i] + source;
      }
    }
  }
  [[nodiscard]] double checksum() const {
    double sum = 0.0;
    for (const double v : m_field) {
      sum += v;
    }
    return sum;
  }

 private:
  std::vector<double> m_field = std::vector<double>(512, 1.0);
};

// Sweeps that take about `target_us`, measured on this core before the loop starts:
// the fastest of a few 20 ms trials, so that a neighbour's burst does not halve it.
std::int64_t calibrate(Work& work, double target_us) {
  auto time_units = [&](std::int64_t units) {
    const auto start = Clock::now();
    work.run(units, 0.0);
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  std::int64_t units = 1;
  double seconds = 0.0;
  while (seconds < 0.02) {
    units *= 2;
    seconds = time_units(units);
  }
  for (int trial = 0; trial < 5; ++trial) {
    seconds = std::min(seconds, time_units(units));
  }
  const double per_unit_us = seconds * 1e6 / static_cast<double>(units);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(target_us / per_unit_us + 0.5));
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The CPUs this process may run on (mpirun binds ranks to cores when they fit), e.g.
// "0" or "0,1": the driver keeps the clients off them in one of its cases.
std::string allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return "unknown";
  }
  std::string cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) {
      cpus += (cpus.empty() ? "" : ",") + std::to_string(cpu);
    }
  }
  return cpus;
}

long involuntary_switches() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_nivcsw;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  sluice::mpi::Environment mpi(argc, argv);
  try {
    sluice::Runtime runtime(sluice::Role::simulation);
    const bool is_root = runtime.comm().rank() == 0;
    sluice::channel::Bridge bridge(runtime);
    sluice::steer::ParamSpec<double> spec;
    spec.min = -1e9;
    spec.max = 1e9;
    spec.doc = "pulls the field towards it; the steering benchmark sets it";
    auto x = bridge.param<double>("x", 0.0, spec);

    Work work;
    std::int64_t units = o.work_units;
    if (units == 0) {
      units = calibrate(work, o.work_us);
    }
    // Every rank does the same work (rank 0's calibration).
    MPI_Bcast(&units, 1, MPI_INT64_T, 0, runtime.comm().get());

    std::int64_t k = 0;
    auto step = [&] {
      work.run(units, x.value());
      bridge.end_iteration(k);
      ++k;
    };
    for (std::int64_t i = 0; i < o.warmup && !bridge.stop_requested(); ++i) {
      step();
    }
    // Until the first change holds: the clients are connected and steering.
    while (o.wait_for_steering && x.since_iteration() == 0 && !bridge.stop_requested()) {
      step();
    }

    std::vector<double> iteration_seconds;
    iteration_seconds.reserve(static_cast<std::size_t>(o.iters == 0 ? 1 << 20 : o.iters));
    double in_end_iteration = 0.0;
    std::int64_t timed = 0;
    std::int64_t changes = 0;
    std::int64_t last_since = x.since_iteration();
    const long switches_before = involuntary_switches();
    const double cpu_before = thread_cpu_seconds();
    const auto started = Clock::now();
    for (std::int64_t i = 0; (o.iters == 0 || i < o.iters) && !bridge.stop_requested(); ++i) {
      const auto begin = Clock::now();
      work.run(units, x.value());
      const auto worked = Clock::now();
      bridge.end_iteration(k);
      ++k;
      const auto end = Clock::now();
      ++timed;
      in_end_iteration += std::chrono::duration<double>(end - worked).count();
      if (iteration_seconds.size() < iteration_seconds.capacity()) {
        iteration_seconds.push_back(std::chrono::duration<double>(end - begin).count());
      }
      if (x.since_iteration() != last_since) {
        last_since = x.since_iteration();
        ++changes;
      }
    }
    const double loop_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const double loop_cpu_seconds = thread_cpu_seconds() - cpu_before;
    const long switches = involuntary_switches() - switches_before;
    const double checksum = work.checksum();
    bridge.close();

    if (is_root) {
      std::printf("work_units=%lld\n", static_cast<long long>(units));
      std::printf("steering=%s\n", bridge.steering().enabled() ? "enabled" : "disabled");
      std::printf("iterations=%lld\n", static_cast<long long>(timed));
      std::printf("loop_seconds=%.6f\n", loop_seconds);
      std::printf("loop_cpu_seconds=%.6f\n", loop_cpu_seconds);
      std::printf("end_iteration_seconds=%.6f\n", in_end_iteration);
      std::printf("iteration_p50_us=%.2f\n", steering_bench::percentile_us(iteration_seconds, 0.5));
      std::printf("iteration_p99_us=%.2f\n",
                  steering_bench::percentile_us(iteration_seconds, 0.99));
      std::printf("involuntary_switches=%ld\n", switches);
      std::printf("changes=%lld\n", static_cast<long long>(changes));
      std::printf("checksum=%.6g\n", checksum);
      std::printf("cpus=%s\n", allowed_cpus().c_str());
      std::fflush(stdout);
    }
    runtime.free();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "bm_steering_sim: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 0;
}
