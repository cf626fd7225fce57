// One job of Doreisa's protocol (bench/graph/doreisa runs it): 2 simulation ranks with
// 20 blocks of 10 x 10 int64 each (40 chunks, global 40 x 100), a graph computing the
// mean, 230 iterations.
//
//   mpirun -np 2 doreisa_job --role simulation : -np S sluice-scheduler :
//          -np 1 doreisa_job --role analytics [--rebuild]
//
// The simulation computes for --compute-ms per iteration (a sleep: 2 ms by default, so
// that iterations do not queue behind each other and the latency is the graph's; 0
// publishes as fast as the readers let it, Policy::block, depth 2) and records when
// each iteration is committed on each rank (steady_clock: one clock for every process
// of a node). The analytics process runs the graph (on the scheduler ring
// when the job has schedulers) and records when each iteration's mean reaches its
// callback. It prints, over iterations 20 to 220:
//   doreisa schedulers=S mode=compiled|rebuilt ms_per_iteration=X sim_ms_per_iteration=Y
// ms_per_iteration: the mean time from the commit of iteration k on every rank to its
// mean in the callback; sim_ms_per_iteration: the simulation's time per iteration.
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace {

constexpr std::int64_t iterations = 230;
constexpr std::int64_t first_measured = 20;
constexpr std::int64_t last_measured = 220;
constexpr int times_tag = 77;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void simulate(sluice::Runtime& runtime, int analytics_rank, double compute_ms) {
  sluice::channel::Bridge bridge(runtime);
  const auto rank = static_cast<std::int64_t>(runtime.comm().rank());
  std::vector<sluice::channel::Layout> blocks;
  for (std::int64_t a = 0; a < 2; ++a) {
    for (std::int64_t b = 0; b < 10; ++b) {
      blocks.push_back({{40, 100}, {rank * 20 + a * 10, b * 10}, {10, 10}, {}, {}});
    }
  }
  auto& field =
      bridge.expose<std::int64_t>("doreisa", std::span<const sluice::channel::Layout>(blocks),
                                  {.depth = 2, .policy = sluice::channel::Policy::block});
  bridge.start();
  std::vector<double> committed(iterations, 0.0);
  const double started = now_s();
  double measured_from = started;
  for (std::int64_t k = 0; k < iterations; ++k) {
    if (k == first_measured) {
      measured_from = now_s();
    }
    if (compute_ms > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(compute_ms));
    }
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      std::int64_t* slot = field.slot<std::int64_t>(k, b);
      for (std::int64_t e = 0; e < 100; ++e) {
        slot[e] = k + static_cast<std::int64_t>(b) + e;
      }
    }
    field.commit(k);
    committed[static_cast<std::size_t>(k)] = now_s();
    bridge.end_iteration(k);
  }
  const double sim_ms =
      (now_s() - measured_from) * 1e3 / static_cast<double>(iterations - first_measured);
  bridge.close();
  // The commit of iteration k on every rank: the latest.
  std::vector<double> latest(iterations, 0.0);
  MPI_Reduce(committed.data(), latest.data(), static_cast<int>(iterations), MPI_DOUBLE, MPI_MAX, 0,
             runtime.comm().get());
  if (rank == 0) {
    latest.push_back(sim_ms);
    MPI_Send(latest.data(), static_cast<int>(latest.size()), MPI_DOUBLE, analytics_rank, times_tag,
             MPI_COMM_WORLD);
  }
}

int analyse(sluice::Runtime& runtime, bool rebuild) {
  sluice::channel::Consumer consumer(runtime);
  sluice::graph::Client client(runtime, consumer);
  std::vector<double> delivered(iterations, -1.0);
  std::vector<double> means(iterations, 0.0);
  sluice::graph::Graph g("doreisa mean");
  g.on(mean(g.stream("doreisa")), [&](std::int64_t k, std::span<const sluice::graph::Value> v) {
    if (k >= 0 && k < iterations) {
      delivered[static_cast<std::size_t>(k)] = now_s();
      means[static_cast<std::size_t>(k)] = v[0].scalar();
    }
  });
  const auto id = client.submit(
      g, {.mode = rebuild ? sluice::graph::Mode::rebuilt : sluice::graph::Mode::compiled});
  client.run();
  const int schedulers = static_cast<int>(runtime.ranks_of(sluice::Role::scheduler).size());
  std::vector<double> committed(iterations + 1, 0.0);
  MPI_Recv(committed.data(), static_cast<int>(committed.size()), MPI_DOUBLE,
           runtime.ranks_of(sluice::Role::simulation).front(), times_tag, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  double total = 0.0;
  int missing = 0;
  int wrong = 0;
  for (std::int64_t k = first_measured; k <= last_measured; ++k) {
    const auto i = static_cast<std::size_t>(k);
    if (delivered[i] < 0) {
      ++missing;
      continue;
    }
    total += delivered[i] - committed[i];
    // The mean of k + b + e over 2 x 20 blocks (b = 0..19 on each rank) of 100 cells.
    wrong += std::fabs(means[i] - (static_cast<double>(k) + 9.5 + 49.5)) > 1e-9 ? 1 : 0;
  }
  const auto status = client.status(id);
  std::printf(
      "doreisa schedulers=%d mode=%s ms_per_iteration=%.4f sim_ms_per_iteration=%.4f "
      "graph_us_median=%.1f latency_us_median=%.1f tasks=%llu missing=%d wrong=%d\n",
      schedulers, rebuild ? "rebuilt" : "compiled",
      total * 1e3 / static_cast<double>(last_measured - first_measured + 1 - missing),
      committed[iterations], status.iteration_time.median_us, status.latency.median_us,
      static_cast<unsigned long long>(status.tasks_per_iteration), missing, wrong);
  consumer.close();
  return missing == 0 && wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string role;
  bool rebuild = false;
  double compute_ms = 2.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--role" && i + 1 < argc) {
      role = argv[++i];
    } else if (arg == "--compute-ms" && i + 1 < argc) {
      compute_ms = std::stod(argv[++i]);
    } else if (arg == "--rebuild") {
      rebuild = true;
    } else {
      std::fprintf(stderr,
                   "usage: doreisa_job --role simulation|analytics [--rebuild] [--compute-ms X]\n");
      return 2;
    }
  }
  sluice::mpi::Environment mpi(argc, argv);
  int rc = 0;
  try {
    sluice::Runtime runtime(
        role, {.required_roles = {sluice::Role::simulation, sluice::Role::analytics}});
    if (runtime.role() == sluice::Role::simulation) {
      simulate(runtime, runtime.ranks_of(sluice::Role::analytics).front(), compute_ms);
    } else {
      rc = analyse(runtime, rebuild);
    }
    runtime.free();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "doreisa_job: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return rc;
}
