// Graphs that fall behind, and a client that stops listening: neither may hold the
// simulation back, and what the graph does compute stays exact.
//
// graph_under_skip (--filter skip): the simulation (1 or 2 ranks) publishes, for
// iterations 0..39,
//   T  f64 4 x 6, 1000 k + 10 i + j (Policy::skip, depth 2)
//   t  a single value, k             (Policy::skip, depth 8)
// and a graph reads both, through a user operator ("pace", the identity) that holds the
// graph at chosen iterations until the simulation has gone on by six iterations (outside
// the holds, the simulation waits for the graph to reach each iteration, so that nothing
// is dropped by chance and the end of the run is not raced). While
// the graph holds iteration k, T drops k + 2 .. k + 6 (its two slots hold k and k + 1)
// and t keeps them (eight slots): the graph skips them (some input will never have
// them). The simulation records which iterations each stream published; the analytics
// process checks that the graph ran exactly those both published, each with exact
// values, that T.previous() and t.previous() are the iteration the graph ran before
// (windows hold the iterations the graph ran), and that the counters add up. Run in the
// analytics process, and on a ring of 1 scheduler (--role scheduler).
//
// unheard_callbacks (--filter unheard): a graph on a ring of 1 scheduler sends callback
// values to a client that does not receive anything until the simulation has published
// all its 600 iterations: the simulation finishes, the root drops what it cannot keep in
// flight and counts it, and what is delivered afterwards is exact. Client::status()
// before the first poll() answers without running any callback, and a callback that asks
// for the status keeps its own values. Under the callback policy skip; under the
// default, block (held_callbacks, --filter held), a client that takes nothing for 2 s
// holds the graph and the simulation, and gets every value; past the reader lease
// (graph_evicted_while_its_client_is_silent, --filter evicted) the producers evict the
// graph, which ends early and says why.
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/executor.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/graph/operators.hpp"
#include "sluice/ring/scheduler.hpp"

using namespace sluice;
using namespace sluice::graph;
using namespace std::chrono_literals;

namespace {

// Tags of the test's own messages on MPI_COMM_WORLD (sluice talks on duplicates).
constexpr int running_tag = 9101;  // graph -> simulation: "I run iteration k"
constexpr int go_tag = 9102;       // simulation -> graph: "I went on; let it go"
constexpr int record_tag = 9103;   // simulation -> analytics: what each stream published
constexpr int done_tag = 9104;     // simulation -> analytics: iterations published

constexpr std::int64_t rows = 4;
constexpr std::int64_t columns = 6;
constexpr double missing = std::numeric_limits<double>::quiet_NaN();

double t_at(std::int64_t k, std::int64_t i, std::int64_t j) {
  return 1000.0 * static_cast<double>(k) + static_cast<double>(10 * i + j);
}
// Sum of the whole array of iteration k (exact in double).
double t_sum(std::int64_t k) {
  double s = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < columns; ++j) s += t_at(k, i, j);
  }
  return s;
}

bool same(double got, double want) { return (std::isnan(got) && std::isnan(want)) || got == want; }

// Receives one int64 message of `tag` on MPI_COMM_WORLD, waiting up to `timeout`
// (a peer that never sends fails the test instead of hanging it). Returns the source,
// or -1 on timeout.
int receive_with_deadline(int source, int tag, std::int64_t* values, int count,
                          std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(source, tag, MPI_COMM_WORLD, &arrived, &status);
    if (arrived != 0) {
      MPI_Recv(values, count, MPI_INT64_T, status.MPI_SOURCE, tag, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
      return status.MPI_SOURCE;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return -1;
    }
    std::this_thread::sleep_for(200us);
  }
}

// ---- graph_under_skip ---------------------------------------------------------

constexpr std::int64_t skip_iterations = 40;
// The graph holds iteration `from` until the simulation published `length` more. T keeps
// the held iteration and the next one: it drops the length - 1 after those, which t
// keeps. The last hold leaves iteration 39 to t alone: the graph skips it after the last
// iteration it runs.
struct Hold {
  std::int64_t from;
  std::int64_t length;
};
const std::vector<Hold> holds = {{8, 6}, {22, 6}, {37, 2}};

// What T drops while the graph is held.
std::uint64_t expected_drops() {
  std::uint64_t drops = 0;
  for (const auto& hold : holds) drops += static_cast<std::uint64_t>(hold.length - 1);
  return drops;
}

// Bits of the simulation's record, per iteration.
constexpr std::int64_t t_array_published = 1;
constexpr std::int64_t t_value_published = 2;

// The world rank that coordinates the holds for the simulation.
int coordinator(const Runtime& rt) { return rt.ranks_of(Role::simulation).front(); }

// "pace": the identity, reporting each iteration the graph runs to the simulation (at its
// first tile; the iteration is decoded from the values: 1000 k + a cell number below
// 1000), and holding the graph at the iterations of `holds` until the simulation says
// it went on. Registered in every process that may run the graph.
void register_pace(const Runtime& rt) {
  static bool is_registered = false;
  if (is_registered) {
    return;
  }
  is_registered = true;
  struct Pace {
    std::int64_t last_reported = -1;
    std::size_t next_hold = 0;
  };
  auto pace = std::make_shared<Pace>();
  const int simulation = coordinator(rt);
  register_map("pace", [pace, simulation](std::span<const double> in, std::span<double> out) {
    std::copy(in.begin(), in.end(), out.begin());
    if (in.empty()) {
      return;
    }
    std::int64_t k = static_cast<std::int64_t>(std::floor(in[0] / 1000.0));
    if (k <= pace->last_reported) {
      return;  // another tile of the same iteration
    }
    pace->last_reported = k;
    MPI_Send(&k, 1, MPI_INT64_T, simulation, running_tag, MPI_COMM_WORLD);
    if (pace->next_hold >= holds.size() || k != holds[pace->next_hold].from) {
      return;
    }
    const std::int64_t length = holds[pace->next_hold++].length;
    std::int64_t went_on_to = -1;
    if (receive_with_deadline(simulation, go_tag, &went_on_to, 1, 20s) < 0) {
      // A producer that waited for this graph (as under Policy::block) never says go.
      ::sluice::testing::record_failure(
          __FILE__, __LINE__,
          "the simulation did not go on while the graph held iteration " + std::to_string(k));
    } else {
      EXPECT_EQ(went_on_to, k + length);
    }
  });
}

void simulate_skipping(Runtime& rt) {
  channel::Bridge bridge(rt);
  const auto ranks = static_cast<std::int64_t>(rt.comm().size());
  const auto rank = static_cast<std::int64_t>(rt.comm().rank());
  const std::int64_t band = rows / ranks;
  const channel::Layout layout{{rows, columns}, {rank * band, 0}, {band, columns}, {}, {}};
  auto& array = bridge.expose<double>("T", layout, {.depth = 2, .policy = channel::Policy::skip});
  auto& value = bridge.expose_value<double>("t", {.depth = 8, .policy = channel::Policy::skip});
  bridge.start();
  const bool is_coordinator = rt.world_rank() == coordinator(rt);
  std::vector<double> local(static_cast<std::size_t>(band * columns));
  std::vector<std::int64_t> record;
  std::size_t next_hold = 0;
  int holder = -1;         // the world rank of the process holding the graph
  std::int64_t held = -1;  // the iteration it holds
  std::uint64_t drops_while_held = 0;
  for (std::int64_t k = 0; k < skip_iterations; ++k) {
    for (std::int64_t i = 0; i < band; ++i) {
      for (std::int64_t j = 0; j < columns; ++j) {
        local[static_cast<std::size_t>(i * columns + j)] = t_at(k, rank * band + i, j);
      }
    }
    const auto array_skips = array.counters().skipped;
    const auto value_skips = value.counters().skipped;
    array.publish(k, local.data());
    value.publish_value(k, static_cast<double>(k));
    bridge.end_iteration(k);
    const bool has_array = array.counters().skipped == array_skips;
    const bool has_value = value.counters().skipped == value_skips;
    record.push_back((has_array ? t_array_published : 0) | (has_value ? t_value_published : 0));
    if (held >= 0 && !has_array) {
      ++drops_while_held;
    }
    if (is_coordinator) {
      // The iteration the graph reports it runs next, once it is after `after`.
      const auto wait_for_graph = [&](std::int64_t after) {
        std::int64_t running = -1;
        int from = -1;
        while (running <= after) {
          from = receive_with_deadline(MPI_ANY_SOURCE, running_tag, &running, 1, 20s);
          if (from < 0) {
            EXPECT_TRUE(false);  // the graph stopped
            break;
          }
        }
        return std::make_pair(from, running);
      };
      if (held >= 0) {
        // The graph holds iteration `held`: go on without it, then let it go, and wait
        // until it runs the next one (it released the held one then).
        if (k == held + holds[next_hold - 1].length) {
          MPI_Send(&k, 1, MPI_INT64_T, holder, go_tag, MPI_COMM_WORLD);
          EXPECT_EQ(wait_for_graph(held).second, held + 1);
          held = -1;
        }
      } else {
        // Outside the holds the simulation keeps pace with the graph, so that nothing
        // is dropped by chance: it waits until the graph runs this iteration.
        EXPECT_TRUE(has_array && has_value);
        const auto [from, running] = wait_for_graph(k - 1);
        EXPECT_EQ(running, k);
        if (from >= 0 && next_hold < holds.size() && k == holds[next_hold].from) {
          ++next_hold;  // the graph holds k now
          holder = from;
          held = k;
        }
      }
    }
    // As a simulation's halo exchange does: no rank runs iterations ahead of the others.
    rt.comm().barrier();
  }
  if (is_coordinator) {
    EXPECT_EQ(held, -1);
    EXPECT_EQ(next_hold, holds.size());
    // While the graph held an iteration, T dropped every one but the next (its slots
    // held the iteration and the next); t dropped none.
    EXPECT_EQ(drops_while_held, expected_drops());
    EXPECT_EQ(value.counters().skipped, 0u);
  }
  // Every iteration was either published or dropped, on each stream (a single value is
  // kept by the group's first rank: the coordinator).
  EXPECT_EQ(array.counters().published + array.counters().skipped,
            static_cast<std::uint64_t>(skip_iterations));
  if (is_coordinator) {
    EXPECT_EQ(value.counters().published + value.counters().skipped,
              static_cast<std::uint64_t>(skip_iterations));
  }
  bridge.close();
  if (is_coordinator) {
    MPI_Send(record.data(), static_cast<int>(record.size()), MPI_INT64_T,
             rt.ranks_of(Role::analytics).front(), record_tag, MPI_COMM_WORLD);
  }
}

// A scheduler of the ring, as sluice-scheduler runs it, with the test's operator.
void serve_as_scheduler(Runtime& rt) {
  register_pace(rt);
  channel::StreamCatalog streams(rt);
  rt.finish_setup();
  ring::Scheduler scheduler(rt);
  Executor graphs(rt);
  scheduler.serve_streams(streams);
  scheduler.also_serve([&] { return graphs.poll(); }, [&] { return graphs.is_busy(); });
  scheduler.serve_until_stopped();
}

using Results = std::map<std::int64_t, std::vector<Value>>;

Callback collect(Results& into) {
  return [&into](std::int64_t k, std::span<const Value> values) {
    into[k] = std::vector<Value>(values.begin(), values.end());
  };
}

void analyse_skipping(Runtime& rt) {
  register_pace(rt);
  const GraphOptions options{.runs_on =
                                 rt.has(Role::scheduler) ? RunsOn::schedulers : RunsOn::client};
  channel::Consumer consumer(rt);
  Client client(rt, consumer);
  Results results;
  Graph g("under skip");
  {
    auto T = g.stream("T");
    auto t = g.value("t");
    auto w = g.window("T", 3);
    auto dT = T - T.previous();
    auto dt = t - t.previous();
    g.on({sum(map("pace", T)), min(dT), max(dT), dt, mean(dT / dt), sum(w[0]), t},
         collect(results));
  }
  const GraphId id = client.submit(g, options);
  EXPECT_EQ(client.runs_on_ring(id), rt.has(Role::scheduler));
  client.run(60s);
  const GraphStatus status = client.status(id);

  std::vector<std::int64_t> record(static_cast<std::size_t>(skip_iterations), -1);
  EXPECT_TRUE(receive_with_deadline(coordinator(rt), record_tag, record.data(),
                                    static_cast<int>(record.size()), 20s) >= 0);
  std::vector<std::int64_t> both;  // what the graph can run
  std::uint64_t one_only = 0;      // what it must skip: one input will never have it
  for (std::int64_t k = 0; k < skip_iterations; ++k) {
    const auto r = record[static_cast<std::size_t>(k)];
    if (r == (t_array_published | t_value_published)) {
      both.push_back(k);
    } else if (r != 0) {
      ++one_only;
    }
  }
  // The holds made T drop what t kept, and nothing else was dropped.
  EXPECT_EQ(one_only, expected_drops());
  EXPECT_EQ(both.size() + one_only, static_cast<std::size_t>(skip_iterations));

  std::vector<std::int64_t> ran;
  for (const auto& [k, values] : results) ran.push_back(k);
  EXPECT_TRUE(ran == both);
  if (ran != both) {
    std::fprintf(stderr, "under skip: the graph ran %zu iterations, both inputs published %zu\n",
                 ran.size(), both.size());
  }
  // Each iteration exact, its windows on the iterations the graph ran before it.
  int wrong = 0;
  for (std::size_t n = 0; n < ran.size(); ++n) {
    const std::int64_t k = ran[n];
    const double previous = n >= 1 ? static_cast<double>(ran[n - 1]) : missing;
    const double change = static_cast<double>(k) - previous;  // NaN at the first
    const std::vector<double> want = {t_sum(k),
                                      1000.0 * change,
                                      1000.0 * change,
                                      change,
                                      n >= 1 ? 1000.0 : missing,
                                      n >= 2 ? t_sum(ran[n - 2]) : missing,
                                      static_cast<double>(k)};
    const auto& got = results.at(k);
    for (std::size_t v = 0; v < want.size(); ++v) {
      if (got.size() != want.size() || got[v].data.size() != 1 || !same(got[v].data[0], want[v])) {
        std::fprintf(stderr, "under skip: iteration %lld value %zu: %.17g, expected %.17g\n",
                     static_cast<long long>(k), v,
                     got.size() == want.size() && !got[v].data.empty() ? got[v].data[0] : missing,
                     want[v]);
        ++wrong;
      }
    }
  }
  EXPECT_EQ(wrong, 0);

  // The counters add up to what the producers did.
  EXPECT_EQ(status.iterations, static_cast<std::uint64_t>(both.size()));
  EXPECT_EQ(status.skipped_iterations, one_only);
  EXPECT_EQ(status.failed_iterations, 0u);
  EXPECT_EQ(status.last_iteration, both.empty() ? -1 : both.back());
  consumer.close();
}

// ---- unheard_callbacks --------------------------------------------------------

constexpr std::int64_t unheard_iterations = 600;

// Whether the callback values of iteration k are {sum(u), max(u)} of that iteration.
bool is_exact_delivery(std::int64_t k, const std::vector<Value>& values) {
  return values.size() == 2 && values[0].data.size() == 1 && values[0].data[0] == t_sum(k) &&
         values[1].data.size() == 1 && values[1].data[0] == t_at(k, rows - 1, columns - 1);
}

int wrong_deliveries(const Results& results) {
  int wrong = 0;
  for (const auto& [k, values] : results) {
    wrong += is_exact_delivery(k, values) ? 0 : 1;
  }
  return wrong;
}

void simulate_unheard(Runtime& rt) {
  channel::Bridge bridge(rt);
  const auto ranks = static_cast<std::int64_t>(rt.comm().size());
  const auto rank = static_cast<std::int64_t>(rt.comm().rank());
  const std::int64_t band = rows / ranks;
  const channel::Layout layout{{rows, columns}, {rank * band, 0}, {band, columns}, {}, {}};
  // Policy::block: the scheduler's graph reads every iteration; only the callbacks to
  // the client are given up.
  auto& u = bridge.expose<double>("u", layout, {.depth = 4, .policy = channel::Policy::block});
  bridge.start();
  std::vector<double> local(static_cast<std::size_t>(band * columns));
  std::int64_t published = 0;
  for (std::int64_t k = 0; k < unheard_iterations; ++k) {
    for (std::int64_t i = 0; i < band; ++i) {
      for (std::int64_t j = 0; j < columns; ++j) {
        local[static_cast<std::size_t>(i * columns + j)] = t_at(k, rank * band + i, j);
      }
    }
    u.publish(k, local.data());
    bridge.end_iteration(k);
    ++published;
  }
  EXPECT_EQ(u.counters().published, static_cast<std::uint64_t>(unheard_iterations));
  bridge.close();
  if (rt.world_rank() == coordinator(rt)) {
    MPI_Send(&published, 1, MPI_INT64_T, rt.ranks_of(Role::analytics).front(), done_tag,
             MPI_COMM_WORLD);
  }
}

void analyse_unheard(Runtime& rt) {
  channel::Consumer consumer(rt);
  Client client(rt, consumer);
  Results results;
  Graph g("unheard");
  GraphId id = 0;
  std::optional<GraphStatus> asked_inside;
  {
    auto u = g.stream("u");
    // The first callback asks for the status, then keeps the values it was handed: they
    // are still its iteration's (other values that arrive meanwhile wait for poll()).
    g.on({sum(u), max(u)}, [&](std::int64_t k, std::span<const Value> values) {
      if (!asked_inside) {
        asked_inside = client.status(id);
      }
      results[k] = std::vector<Value>(values.begin(), values.end());
    });
  }
  id = client.submit(g, {.runs_on = RunsOn::schedulers, .callbacks = channel::Policy::skip});
  // The job starts; then this process receives nothing (no poll, no status) until the
  // simulation has published every iteration.
  consumer.start();
  std::int64_t published = -1;
  EXPECT_TRUE(receive_with_deadline(coordinator(rt), done_tag, &published, 1, 60s) >= 0);
  EXPECT_EQ(published, unheard_iterations);
  EXPECT_TRUE(results.empty());
  // The status, asked before any poll: callbacks run only inside poll() and run(), so
  // the values that wait for this process are still not delivered.
  const GraphStatus before = client.status(id);
  EXPECT_TRUE(results.empty());
  EXPECT_TRUE(before.callbacks_dropped > 0);
  client.run(60s);
  EXPECT_TRUE(asked_inside.has_value());
  const GraphStatus status = client.status(id);

  EXPECT_EQ(status.iterations, static_cast<std::uint64_t>(unheard_iterations));
  EXPECT_EQ(status.failed_iterations, 0u);
  EXPECT_TRUE(status.callbacks_dropped > 0);
  EXPECT_EQ(results.size() + status.callbacks_dropped,
            static_cast<std::uint64_t>(unheard_iterations));
  // What was kept in flight is delivered, in order, exact.
  EXPECT_TRUE(results.contains(0));
  int wrong = 0;
  for (const auto& [k, values] : results) {
    if (k < 0 || k >= unheard_iterations || !is_exact_delivery(k, values)) {
      std::fprintf(stderr, "unheard: iteration %lld delivered wrong values\n",
                   static_cast<long long>(k));
      ++wrong;
    }
  }
  EXPECT_EQ(wrong, 0);
  std::fprintf(stderr, "unheard: %zu callbacks delivered, %llu dropped\n", results.size(),
               static_cast<unsigned long long>(status.callbacks_dropped));
  consumer.close();
}

// The same simulation, a client that takes nothing for 2 s under the default callback
// policy (block): the graph waits for it, holding the simulation, and nothing is lost.
void analyse_held(Runtime& rt) {
  channel::Consumer consumer(rt);
  Client client(rt, consumer);
  Results results;
  Graph g("held");
  {
    auto u = g.stream("u");
    g.on({sum(u), max(u)}, [&](std::int64_t k, std::span<const Value> values) {
      results[k] = std::vector<Value>(values.begin(), values.end());
    });
  }
  const GraphId id = client.submit(g, {.runs_on = RunsOn::schedulers});
  consumer.start();
  std::this_thread::sleep_for(2s);  // 600 iterations would take a few ms unheld
  const GraphStatus before = client.status(id);
  EXPECT_TRUE(before.iterations < static_cast<std::uint64_t>(unheard_iterations));
  client.run(60s);
  const GraphStatus status = client.status(id);
  std::int64_t published = -1;
  EXPECT_TRUE(receive_with_deadline(coordinator(rt), done_tag, &published, 1, 60s) >= 0);
  EXPECT_EQ(published, unheard_iterations);
  EXPECT_EQ(status.iterations, static_cast<std::uint64_t>(unheard_iterations));
  EXPECT_EQ(status.callbacks_dropped, 0u);
  EXPECT_EQ(results.size(), static_cast<std::size_t>(unheard_iterations));
  EXPECT_EQ(wrong_deliveries(results), 0);
  std::fprintf(stderr, "held: %llu iterations ran before the client listened, %zu delivered\n",
               static_cast<unsigned long long>(before.iterations), results.size());
  consumer.close();
}

// The same client, with a reader lease shorter than its silence (the test sets
// SLUICE_READER_LEASE=0.5): the producers evict the graph's partition, which waited for
// the client, the simulation runs to its end, and the graph ends early, saying why in
// its status; what it delivered is whole.
void analyse_evicted(Runtime& rt) {
  channel::Consumer consumer(rt);
  Client client(rt, consumer);
  Results results;
  Graph g("evicted");
  {
    auto u = g.stream("u");
    g.on({sum(u), max(u)}, collect(results));
  }
  const GraphId id = client.submit(g, {.runs_on = RunsOn::schedulers});
  consumer.start();
  std::int64_t published = -1;
  EXPECT_TRUE(receive_with_deadline(coordinator(rt), done_tag, &published, 1, 60s) >= 0);
  EXPECT_EQ(published, unheard_iterations);
  client.run(60s);
  const GraphStatus status = client.status(id);
  EXPECT_TRUE(status.iterations < static_cast<std::uint64_t>(unheard_iterations));
  EXPECT_TRUE(status.stopped_early.find("partition 0 (world rank") != std::string::npos);
  EXPECT_TRUE(status.stopped_early.find("evicted from stream 'u'") != std::string::npos);
  EXPECT_EQ(results.size(), static_cast<std::size_t>(status.iterations));
  EXPECT_EQ(wrong_deliveries(results), 0);
  std::fprintf(stderr, "evicted: %llu iterations delivered; %s\n",
               static_cast<unsigned long long>(status.iterations), status.stopped_early.c_str());
  consumer.close();
}

}  // namespace

SLUICE_MPI_TEST(graph_under_skip) {
  Runtime rt(testing::role(), {.required_roles = {Role::simulation, Role::analytics}});
  if (rt.role() == Role::simulation) {
    simulate_skipping(rt);
  } else if (rt.role() == Role::scheduler) {
    serve_as_scheduler(rt);
  } else {
    analyse_skipping(rt);
  }
  rt.free();
}

// The 600-iteration simulation, one scheduler, and a client analysing with `analyse`.
void run_callbacks_job(void (*analyse)(Runtime&)) {
  Runtime rt(testing::role(),
             {.required_roles = {Role::simulation, Role::scheduler, Role::analytics}});
  if (rt.role() == Role::simulation) {
    simulate_unheard(rt);
  } else if (rt.role() == Role::scheduler) {
    serve_as_scheduler(rt);
  } else {
    analyse(rt);
  }
  rt.free();
}

SLUICE_MPI_TEST(held_callbacks) { run_callbacks_job(analyse_held); }

SLUICE_MPI_TEST(unheard_callbacks) { run_callbacks_job(analyse_unheard); }

SLUICE_MPI_TEST(graph_evicted_while_its_client_is_silent) { run_callbacks_job(analyse_evicted); }
