// The per-iteration cost of triggering a stream graph, compiled (built once) against
// rebuilt (compiled, planned and allocated again every iteration), for graphs of 10 to
// 10000 tasks.
//
// One process produces a stream of small blocks (4 x 4 f64 each, side by side in a
// 4 x 4n array) with a Producer and runs, with a graph Client, a graph giving the sum
// and the max of the stream to a callback. The tasks of an iteration are the chunks of
// the fused pass (one per block: every block is its own chunk) and the per-iteration
// reduction and output tasks (status().tasks_per_iteration); the block count is chosen so
// that the task count is exactly 10, 100, 1000 or 10000. One benchmark iteration
// publishes iteration k (fills the n slots and commits) and polls the client until the
// graph has run iteration k.
//
// Side by side, per task count:
//   publish_only   filling and committing the same n blocks, nobody subscribed: the
//                  part of every other row that is not the graph's
//   read_only      publish, then read the iteration with a plain subscription in place
//                  (Subscription::next, as the graph's inputs do), no graph: what
//                  reading the blocks costs before any graph work
//   compiled       publish, then trigger the compiled graph
//   rebuilt        publish, then trigger the graph in Mode::rebuilt
// Counters:
//   us_per_task          time per benchmark iteration / tasks
//   trigger_us_per_task  the same less publish_only's time per iteration (measured earlier in
//                        the same run): the trigger alone
//   graph_us             the graph's own median time per iteration (status().iteration_time)
//   read_us_per_task     (read_only) the same less publish_only's: reading alone
//   allocs_per_iteration heap allocations (operator new, counted by this program) per
//                        benchmark iteration: publish, poll and trigger together
//   vs_rebuilt           (compiled rows) rebuilt time per iteration / compiled time per
//                        iteration. Both are measured in the compiled row itself: right after
//                        its timed loop, it runs the rebuilt graph of the same size on its own
//                        stream for about as long (at least 5 iterations), so the two times
//                        come from the same moment of the same run, not from rows that may be
//                        minutes apart on a shared machine.
// Every case (task count x variant) has its own stream (a producer serves at most 32
// subscriptions per stream) and its own Client (poll() then only visits that graph); the
// graphs stay submitted from one run of a row to the next.
//
// Targets: trigger overhead <= 5 us per task at 1000 tasks; compiled >= 20x cheaper per
// iteration than rebuilt at 1000 tasks.
//
//   scripts/sluice-mpirun -np 1 build/bench/graph/bm_graph_trigger --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "graph_bench.hpp"
#include "sluice/core/error.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/graph.hpp"

namespace sg = sluice::graph;

namespace {
std::atomic<std::uint64_t> allocations{0};
}  // namespace

// Every operator new of the process (libsluice's too) comes here and is counted; the
// deletes below free it.
void* operator new(std::size_t bytes) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t bytes) { return operator new(bytes); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr const char* usage =
    "bm_graph_trigger: per-iteration cost of triggering a stream graph of 10, 100, 1000 and\n"
    "10000 tasks, compiled vs rebuilt, next to publishing alone. One MPI process:\n"
    "\n"
    "  scripts/sluice-mpirun -np 1 build/bench/graph/bm_graph_trigger "
    "[--benchmark_min_time=0.2]\n"
    "\n"
    "  --no_rebuilt_side  leave out the compiled rows' rebuilt side run (and vs_rebuilt): to\n"
    "                     profile the compiled graph alone\n"
    "\n"
    "Counters: us_per_task, trigger_us_per_task (less publishing), graph_us (the graph's own\n"
    "median per iteration), vs_rebuilt (compiled rows: rebuilt time / compiled time, both\n"
    "measured in that row).\n";

constexpr std::int64_t edge = 4;  // blocks are edge x edge doubles
const std::vector<std::int64_t> task_counts{10, 100, 1000, 10000};

std::unique_ptr<graph_bench::Job> job;
std::uint64_t tasks_besides_chunks = 0;  // reductions and outputs: measured at start-up
bool has_rebuilt_side = true;

/// A stream of n blocks in this process, and how far it has been published.
struct Stream {
  sluice::channel::Channel* channel = nullptr;
  std::int64_t blocks = 0;
  std::int64_t next_iteration = 0;

  Stream(const std::string& name, std::int64_t n) : blocks(n) {
    std::vector<sluice::channel::Layout> layouts;
    for (std::int64_t b = 0; b < n; ++b) {
      layouts.push_back({{edge, edge * n}, {0, edge * b}, {edge, edge}, {}, {}});
    }
    channel =
        &job->producer().expose<double>(name, std::span<const sluice::channel::Layout>(layouts),
                                        {.depth = 2, .policy = sluice::channel::Policy::block});
  }

  /// Fills every block of the next iteration and commits it; returns the iteration.
  std::int64_t publish() {
    const std::int64_t k = next_iteration++;
    for (std::int64_t b = 0; b < blocks; ++b) {
      double* slot = channel->slot<double>(k, static_cast<std::size_t>(b));
      for (std::int64_t e = 0; e < edge * edge; ++e) {
        slot[e] = static_cast<double>(k + b + e);
      }
    }
    channel->commit(k);
    return k;
  }
};

/// A stream with a graph (sum and max of it, to a callback) running on it, in its own
/// client.
struct Case {
  Stream stream;
  std::unique_ptr<sg::Client> client;
  sg::GraphId id = 0;
  std::int64_t last_run = -1;  // the newest iteration the callback got

  Case(const std::string& name, std::int64_t blocks, sg::Mode mode) : stream(name, blocks) {
    client = std::make_unique<sg::Client>(job->runtime(), job->consumer());
    sg::Graph g(name);
    auto x = g.stream(name);
    g.on({sum(x), max(x)}, [this](std::int64_t k, std::span<const sg::Value>) { last_run = k; });
    id = client->submit(g, {.mode = mode});
  }

  /// Publishes the next iteration and polls until the graph has run it.
  void step() {
    const std::int64_t k = stream.publish();
    while (last_run < k) {
      if (client->poll(std::chrono::milliseconds(0)) == sg::PollStatus::ended) {
        throw sluice::StateError("running graph " + stream.channel->info().name, "the graph ended",
                                 "");
      }
    }
  }
};

/// Cases by name, made on first use and kept (with their subscriptions) to the end.
std::map<std::string, std::unique_ptr<Case>> cases;
std::map<std::string, std::unique_ptr<Stream>> publish_streams;
std::map<std::int64_t, sluice::channel::Subscription*> read_subscriptions;
std::map<std::int64_t, double> publish_seconds;  // per task count, per iteration

Case& case_of(std::int64_t tasks, sg::Mode mode, const char* role) {
  const std::string name = "trigger." + std::string(role) + "." + std::to_string(tasks);
  auto& c = cases[name];
  if (!c) {
    c = std::make_unique<Case>(name, tasks - static_cast<std::int64_t>(tasks_besides_chunks), mode);
  }
  return *c;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(benchmark::State& state, Case& c, std::int64_t tasks, double seconds) {
  const auto status = c.client->status(c.id);
  if (status.tasks_per_iteration != static_cast<std::uint64_t>(tasks)) {
    state.SkipWithError(("the graph has " + std::to_string(status.tasks_per_iteration) +
                         " tasks per iteration, not " + std::to_string(tasks))
                            .c_str());
    return;
  }
  state.counters["us_per_task"] = seconds * 1e6 / static_cast<double>(tasks);
  state.counters["graph_us"] = status.iteration_time.median_us;
  if (const auto it = publish_seconds.find(tasks); it != publish_seconds.end()) {
    state.counters["trigger_us_per_task"] =
        (seconds - it->second) * 1e6 / static_cast<double>(tasks);
  }
}

void bm_publish_only(benchmark::State& state, std::int64_t tasks) {
  auto& stream = publish_streams["publish." + std::to_string(tasks)];
  if (!stream) {
    stream = std::make_unique<Stream>("publish." + std::to_string(tasks),
                                      tasks - static_cast<std::int64_t>(tasks_besides_chunks));
  }
  const std::uint64_t allocated = allocations.load();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(stream->publish());
  }
  const double seconds = seconds_since(start) / static_cast<double>(state.iterations());
  state.counters["allocs_per_iteration"] =
      static_cast<double>(allocations.load() - allocated) / static_cast<double>(state.iterations());
  publish_seconds[tasks] = seconds;
  state.counters["us_per_task"] = seconds * 1e6 / static_cast<double>(tasks);
}

void bm_read_only(benchmark::State& state, std::int64_t tasks) {
  const std::string name = "read." + std::to_string(tasks);
  auto& stream = publish_streams[name];
  if (!stream) {
    stream =
        std::make_unique<Stream>(name, tasks - static_cast<std::int64_t>(tasks_besides_chunks));
    read_subscriptions[tasks] = &job->consumer().subscribe<double>(name);
  }
  auto& subscription = *read_subscriptions[tasks];
  const auto read = [&] {
    const std::int64_t k = stream->publish();
    auto step = subscription.next(std::chrono::seconds(10));
    if (!step.ok() || step.iteration() != k || !step.in_place()) {
      throw sluice::StateError("reading " + name,
                               "the step is not iteration " + std::to_string(k) + " read in place",
                               "");
    }
    benchmark::DoNotOptimize(step.blocks().data());
  };
  read();
  const std::uint64_t allocated = allocations.load();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    read();
  }
  const double seconds = seconds_since(start) / static_cast<double>(state.iterations());
  state.counters["allocs_per_iteration"] =
      static_cast<double>(allocations.load() - allocated) / static_cast<double>(state.iterations());
  state.counters["us_per_task"] = seconds * 1e6 / static_cast<double>(tasks);
  if (const auto it = publish_seconds.find(tasks); it != publish_seconds.end()) {
    state.counters["read_us_per_task"] = (seconds - it->second) * 1e6 / static_cast<double>(tasks);
  }
}

void bm_compiled(benchmark::State& state, std::int64_t tasks) {
  Case& compiled = case_of(tasks, sg::Mode::compiled, "compiled");
  compiled.step();  // the first iteration plans the chunks: not what a trigger costs
  const std::uint64_t allocated = allocations.load();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    compiled.step();
  }
  const double elapsed = seconds_since(start);
  state.counters["allocs_per_iteration"] =
      static_cast<double>(allocations.load() - allocated) / static_cast<double>(state.iterations());
  const double seconds = elapsed / static_cast<double>(state.iterations());
  report(state, compiled, tasks, seconds);
  if (!has_rebuilt_side) {
    return;
  }
  // The rebuilt graph of the same size, for about as long.
  Case& side = case_of(tasks, sg::Mode::rebuilt, "side");
  side.step();
  const auto side_start = std::chrono::steady_clock::now();
  std::int64_t side_iterations = 0;
  while (side_iterations < 5 || seconds_since(side_start) < elapsed) {
    side.step();
    ++side_iterations;
  }
  const double side_seconds = seconds_since(side_start) / static_cast<double>(side_iterations);
  state.counters["vs_rebuilt"] = side_seconds / seconds;
}

void bm_rebuilt(benchmark::State& state, std::int64_t tasks) {
  Case& rebuilt = case_of(tasks, sg::Mode::rebuilt, "rebuilt");
  rebuilt.step();
  const std::uint64_t allocated = allocations.load();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    rebuilt.step();
  }
  state.counters["allocs_per_iteration"] =
      static_cast<double>(allocations.load() - allocated) / static_cast<double>(state.iterations());
  report(state, rebuilt, tasks, seconds_since(start) / static_cast<double>(state.iterations()));
}

/// Submits the graph on a stream of one block before it ran: its tasks are then only
/// the reductions and outputs (no chunk is planned yet).
std::uint64_t measure_tasks_besides_chunks() {
  Stream probe("trigger.probe", 1);
  sg::Client client(job->runtime(), job->consumer());
  sg::Graph g("trigger.probe");
  auto x = g.stream("trigger.probe");
  g.on({sum(x), max(x)}, [](std::int64_t, std::span<const sg::Value>) {});
  const auto id = client.submit(g);
  return client.status(id).tasks_per_iteration;
}

}  // namespace

int main(int argc, char** argv) {
  graph_bench::print_usage_on_help(argc, argv, usage);
  // Our own flag, taken out before Google Benchmark sees the arguments.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no_rebuilt_side") {
      has_rebuilt_side = false;
      std::copy(argv + i + 1, argv + argc + 1, argv + i);
      --argc;
      --i;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  sluice::mpi::Environment mpi(argc, argv);
  int status = 0;
  try {
    job = std::make_unique<graph_bench::Job>(std::size_t{256} << 20);
    tasks_besides_chunks = measure_tasks_besides_chunks();
    for (const std::int64_t tasks : task_counts) {
      const std::string n = "/tasks:" + std::to_string(tasks);
      benchmark::RegisterBenchmark(("graph_trigger/publish_only" + n).c_str(), bm_publish_only,
                                   tasks);
      benchmark::RegisterBenchmark(("graph_trigger/read_only" + n).c_str(), bm_read_only, tasks);
      benchmark::RegisterBenchmark(("graph_trigger/compiled" + n).c_str(), bm_compiled, tasks);
      benchmark::RegisterBenchmark(("graph_trigger/rebuilt" + n).c_str(), bm_rebuilt, tasks);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    cases.clear();  // the clients, before the consumer closes
    job->close();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "bm_graph_trigger: %s\n", e.what());
    status = 1;
  }
  job.reset();
  return status;
}
