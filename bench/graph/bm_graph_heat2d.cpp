// heat2d-analytics' statistics of one iteration of a 2048 x 2048 f64 field, three ways,
// next to each other:
//   memory_pass  the least any version must do: read the bytes once. A plain summary
//                (kernels::summary) over the field where it lies, and one over a
//                previous copy of the same size (the field of the iteration before, which
//                dT/dt needs): every byte read once, nothing written.
//   direct       heat2d-analytics-direct's way: a subscription to the field and the time
//                (a StepGroup), read in place, and the fused kernel
//                kernels::step_statistics (History::compare_and_store, through
//                examples/heat2d/band_statistics.hpp): summary, 16-bin histogram,
//                sum of T_k - T_p, and T_k kept as the next previous values, in one pass.
//                The MPI_Reduce of the partials over the analytics ranks is left out
//                (one rank here).
//   graph        heat2d-analytics' graph, compiled: summary(T),
//                mean(T - T.previous()) / (t - t.previous()), histogram(T, 0, 100, 16), to
//                a callback; the graph keeps its own copy of the previous field.
//   graph_no_window  the same graph without dT/dt (summary and histogram only): no copy of
//                the field is kept and no previous one read, so that the cost of the window
//                (T.previous()) can be told apart; its own floor is half the memory pass.
// One process produces the field as heat2d does (one block with a halo cell on every
// side: rows 2050 doubles apart) with a Producer, and the time as a single value. Each
// variant has its own streams, so that no subscriber of one holds back another. A
// benchmark iteration publishes iteration k (every cell changes; timing paused) and then
// times the variant's work on iteration k, read in place in the producer's slot: for the
// graph, polling until it has run iteration k.
//
// Counters (ratios of times per iteration measured earlier in the same run):
//   vs_memory_pass  this row's time / memory_pass's time (1 = as fast as reading the bytes
//                   once; the target for the graph is at most 2)
//   vs_direct       (graph rows) the graph's time / direct's time
//   graph_us        (graph rows) the graph's own median time per iteration (status())
//   dTdt            (direct, graph) the last iteration's mean dT/dt, a check that both
//                   compare with the previous iteration: 0.05 (every cell warms by 0.01
//                   per iteration, the time advances by 0.2)
// bytes_per_second counts the field once.
//
//   scripts/sluice-mpirun -np 1 build/bench/graph/bm_graph_heat2d --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../../examples/heat2d/band_statistics.hpp"
#include "graph_bench.hpp"
#include "sluice/channel/step_group.hpp"
#include "sluice/core/error.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/kernels/reduce.hpp"

namespace sg = sluice::graph;
namespace k = sluice::kernels;

namespace {

constexpr const char* usage =
    "bm_graph_heat2d: heat2d-analytics' statistics of a 2048 x 2048 f64 field through the\n"
    "stream graph, through heat2d-analytics-direct's fused kernel, and one plain memory pass\n"
    "over the bytes, side by side. One MPI process:\n"
    "\n"
    "  scripts/sluice-mpirun -np 1 build/bench/graph/bm_graph_heat2d "
    "[--benchmark_min_time=0.2]\n"
    "\n"
    "Counters: vs_memory_pass (time / the memory pass's), vs_direct (graph time / direct\n"
    "time), graph_us (the graph's own median per iteration).\n";

constexpr std::int64_t n = 2048;
constexpr std::int64_t row = n + 2;  // a halo cell each side, as heat2d
constexpr std::size_t field_bytes = static_cast<std::size_t>(n * n) * sizeof(double);

std::unique_ptr<graph_bench::Job> job;
std::vector<double> base;  // the field's shape, shifted per iteration

/// The temperature (heat2d's layout) and the time of one variant.
struct Field {
  sluice::channel::Channel* temperature = nullptr;
  sluice::channel::Channel* time = nullptr;
  std::int64_t next_iteration = 0;
  const double* interior = nullptr;  // the newest published iteration's first cell

  explicit Field(const std::string& suffix) {
    const sluice::channel::ChannelOptions options{.depth = 2,
                                                  .policy = sluice::channel::Policy::block};
    temperature = &job->producer().expose<double>(
        "temperature" + suffix, {{n, n}, {0, 0}, {n, n}, {row, row}, {1, 1}}, options);
    time = &job->producer().expose_value<double>("time" + suffix, options);
  }

  /// Publishes the next iteration: every cell a little warmer than two iterations ago.
  std::int64_t publish() {
    const std::int64_t it = next_iteration++;
    double* slot = temperature->slot<double>(it);
    const double shift = 0.01 * static_cast<double>(it);
    for (std::int64_t i = 0; i < n; ++i) {
      double* to = slot + (i + 1) * row + 1;
      const double* from = base.data() + i * n;
      for (std::int64_t j = 0; j < n; ++j) {
        to[j] = from[j] + shift;
      }
    }
    temperature->commit(it);
    time->publish_value(it, 0.2 * static_cast<double>(it));
    interior = slot + row + 1;
    return it;
  }

  /// Publishes the next iteration with the benchmark's clock stopped.
  std::int64_t publish_paused(benchmark::State& state) {
    state.PauseTiming();
    const std::int64_t it = publish();
    state.ResumeTiming();
    return it;
  }
};

double memory_pass_seconds = 0.0;
double direct_seconds = 0.0;
double direct_dtdt = 0.0;  // the last iteration's mean dT/dt, as a check
// What direct reads the streams with, made on first use; reset before the consumer closes.
std::unique_ptr<sluice::channel::StepGroup> direct_steps;

template <typename Body>
double timed(benchmark::State& state, Field& field, Body&& body) {
  double seconds = 0.0;
  for (auto _ : state) {
    const std::int64_t it = field.publish_paused(state);
    const auto start = std::chrono::steady_clock::now();
    body(it);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * field_bytes));
  seconds /= static_cast<double>(state.iterations());
  if (memory_pass_seconds > 0.0) {
    state.counters["vs_memory_pass"] = seconds / memory_pass_seconds;
  }
  return seconds;
}

void bm_memory_pass(benchmark::State& state) {
  static Field field(".pass");
  static std::vector<double> previous(static_cast<std::size_t>(n * n), 1.0);
  const sluice::Extents count{n, n};
  const sluice::Extents slot_strides{row, 1};
  const sluice::Extents previous_strides{n, 1};
  field.publish();
  memory_pass_seconds = 0.0;  // no ratio to itself
  memory_pass_seconds = timed(state, field, [&](std::int64_t) {
    const auto now = k::summary(k::StridedBlock<const double>(field.interior, count, slot_strides));
    const auto before =
        k::summary(k::StridedBlock<const double>(previous.data(), count, previous_strides));
    benchmark::DoNotOptimize(now);
    benchmark::DoNotOptimize(before);
  });
}

void bm_direct(benchmark::State& state) {
  static Field field(".direct");
  static auto& temperature = job->consumer().subscribe<double>("temperature.direct");
  static auto& time = job->consumer().subscribe_value<double>("time.direct");
  if (!direct_steps) {
    direct_steps = std::make_unique<sluice::channel::StepGroup>(
        std::vector<sluice::channel::Subscription*>{&time, &temperature});
  }
  auto& steps = *direct_steps;
  static heat2d::PreviousBand previous;
  static double previous_time = 0.0;
  const auto one = [&](std::int64_t it) {
    auto now = steps.next(std::chrono::seconds(10));
    if (!now.ok() || now.iteration() != it) {
      throw sluice::StateError(
          "reading iteration " + std::to_string(it) + " of temperature.direct",
          "got " + std::string(sluice::channel::step_status_name(now.status())), "");
    }
    const double t = now[0].value<double>();
    bool is_comparable = false;
    const auto partial =
        heat2d::band_statistics(now[1], previous, t - previous_time, is_comparable);
    previous_time = t;
    direct_dtdt = partial.dtdt_sum / static_cast<double>(partial.count);
    benchmark::DoNotOptimize(partial.counts.data());
  };
  one(field.publish());  // the first iteration has no previous values
  direct_seconds = timed(state, field, one);
  state.counters["dTdt"] = direct_dtdt;
}

/// A graph on its own streams (`suffix`) and client, made on first use.
struct GraphCase {
  Field field;
  std::int64_t last_run = -1;
  bool has_window = false;
  double last_dtdt = 0.0;  // the last iteration's, as a check
  sg::Client client{job->runtime(), job->consumer()};
  sg::GraphId id = 0;

  GraphCase(const std::string& suffix, bool with_window) : field(suffix), has_window(with_window) {
    sg::Graph g("heat2d" + suffix);
    auto T = g.stream("temperature" + suffix);
    auto stats = summary(T);
    auto hist = histogram(T, 0.0, 100.0, 16);
    const auto done = [this](std::int64_t it, std::span<const sg::Value> v) {
      last_run = it;
      last_dtdt = has_window ? v[3].scalar() : 0.0;
    };
    if (has_window) {
      auto t = g.value("time" + suffix);
      auto dTdt = mean(T - T.previous()) / (t - t.previous());
      g.on({stats.mean, stats.min, stats.max, dTdt, hist}, done);
    } else {
      g.on({stats.mean, stats.min, stats.max, hist}, done);
    }
    id = client.submit(g);
  }

  void run(benchmark::State& state) {
    const auto one = [&](std::int64_t it) {
      while (last_run < it) {
        if (client.poll(std::chrono::milliseconds(0)) == sg::PollStatus::ended) {
          throw sluice::StateError("running graph heat2d", "the graph ended", "");
        }
      }
    };
    one(field.publish());  // the first iteration has no previous values
    const double seconds = timed(state, field, one);
    if (direct_seconds > 0.0) {
      state.counters["vs_direct"] = seconds / direct_seconds;
    }
    state.counters["graph_us"] = client.status(id).iteration_time.median_us;
    if (has_window) {
      state.counters["dTdt"] = last_dtdt;
    }
  }
};

// Made on first use; reset before the consumer closes.
std::unique_ptr<GraphCase> graph_case;
std::unique_ptr<GraphCase> no_window_case;

void bm_graph(benchmark::State& state) {
  if (!graph_case) {
    graph_case = std::make_unique<GraphCase>("", true);
  }
  graph_case->run(state);
}

void bm_graph_no_window(benchmark::State& state) {
  if (!no_window_case) {
    no_window_case = std::make_unique<GraphCase>(".no_window", false);
  }
  no_window_case->run(state);
}

}  // namespace

int main(int argc, char** argv) {
  graph_bench::print_usage_on_help(argc, argv, usage);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  sluice::mpi::Environment mpi(argc, argv);
  int status = 0;
  try {
    // Four fields of 2050 x 2050 doubles, two slots each.
    job = std::make_unique<graph_bench::Job>(std::size_t{512} << 20);
    base.resize(static_cast<std::size_t>(n * n));
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        base[static_cast<std::size_t>(i * n + j)] =
            50.0 + 45.0 * std::sin(static_cast<double>(i) * 3e-3) *
                       std::cos(static_cast<double>(j) * 2e-3);
      }
    }
    // In this order: the rows after memory_pass divide by its time.
    const std::string key = "graph_heat2d/f64/" + std::to_string(n) + "x" + std::to_string(n);
    benchmark::RegisterBenchmark((key + "/memory_pass").c_str(), bm_memory_pass)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((key + "/direct").c_str(), bm_direct)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((key + "/graph").c_str(), bm_graph)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((key + "/graph_no_window").c_str(), bm_graph_no_window)
        ->Unit(benchmark::kMillisecond);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    direct_steps.reset();
    graph_case.reset();
    no_window_case.reset();
    job->close();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "bm_graph_heat2d: %s\n", e.what());
    status = 1;
  }
  job.reset();
  return status;
}
