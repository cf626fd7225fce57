#pragma once
/// @file
/// sluice::graph::Client: submits graphs and runs them.
///
/// submit() compiles a graph against the job's streams (every check before anything
/// runs: a CompileError names the node and the fix), plans its per-block work,
/// subscribes to its inputs and allocates what it needs, once. poll() then triggers it
/// for each iteration its inputs commit: one fused pass over each block of the inputs
/// (read in place where they lie), the partials combined, the outputs published as
/// derived streams and handed to the callbacks, with the iteration. Iterations an input
/// skips or withholds are skipped by the graph alike.
///
/// **Where it runs.** In a job with `sluice-scheduler` processes, the graph is placed on
/// the scheduler ring: the work over each producer's blocks on a scheduler of the
/// producer's node (read in place), the combine and the outputs on the scheduler the
/// ring gives the graph's name; each of them gets its part once, and per iteration only
/// the partials and the iteration move. Callback values come back to this process and
/// run inside poll(). In a job without schedulers, or for a graph naming user operators
/// (they are registered in this process, not in the schedulers), the graph runs here,
/// as one partition (as Dask falls back to its local scheduler). The outputs are the
/// same.
///
/// Submit before the job starts (before Consumer::start() or the first poll()) to get
/// every iteration from the first.
///
/// @code
/// sluice::Runtime runtime(sluice::Role::analytics);
/// sluice::channel::Consumer consumer(runtime);
/// sluice::graph::Client client(runtime, consumer);
/// sluice::graph::Graph g("stats");
/// auto T = g.stream("temperature");
/// g.on(mean(T), [](std::int64_t k, auto v) { std::printf("%lld %g\n", (long long)k,
/// v[0].scalar()); }); const auto id = client.submit(g); client.run(); // until the simulation ends
/// std::printf("%llu iterations\n", (unsigned long long)client.status(id).iterations);
/// @endcode
///
/// Not thread-safe; callbacks run inside poll()/run(). Nothing is collective.

#include <chrono>
#include <cstdint>
#include <memory>

#include "sluice/channel/consumer.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/graph/status.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::graph {

/// How a submitted graph is run.
enum class Mode {
  compiled,  ///< built once, triggered per iteration
  rebuilt,   ///< compiled, planned and allocated again every iteration (for comparison)
};

/// Where a submitted graph runs (see the file comment).
enum class RunsOn {
  automatic,   ///< the scheduler ring if the job has one and the graph allows it
  client,      ///< this process
  schedulers,  ///< the scheduler ring (StateError if the job has no scheduler)
};

struct GraphOptions {
  Mode mode = Mode::compiled;
  RunsOn runs_on = RunsOn::automatic;
  /// Iterations over which the status's times are kept.
  std::size_t timing_window = 1024;
  /// What a graph on the ring does when this client falls behind its callbacks (256
  /// values in flight): `block` (nothing lost): the graph's partitions that run where its
  /// root runs stop reading their inputs until the client takes values, so its
  /// subscriptions hold the simulation as any `block` reader does, up to the reader
  /// lease; `skip`: further values are dropped and counted (callbacks_dropped), so that
  /// the graph never holds the simulation back. `latest` is refused. Graphs in this
  /// process run their callbacks directly.
  channel::Policy callbacks = channel::Policy::block;
};

/// Which graph: what submit() returns.
using GraphId = std::size_t;

/// What poll() did.
enum class PollStatus {
  progressed,  ///< at least one iteration of a graph ran (completed or failed)
  idle,        ///< nothing was ready within the timeout
  ended,       ///< every graph's inputs ended: nothing more will run
};

class Client {
 public:
  /// A client reading the job's streams through `consumer` and producing derived
  /// streams from this process. Both must outlive it. Local.
  Client(const Runtime& runtime, channel::Consumer& consumer);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  /// Compiles, places and instantiates `graph` (copied with its callbacks: it need not
  /// outlive the call). The graph gets the iterations its inputs publish after this
  /// call. Throws CompileError for a graph that cannot run (checked here, before
  /// anything is shipped), InvalidArgument for a name another submitted graph or
  /// derived stream has, StateError if a scheduler refused it or did not answer.
  /// Local (on the ring: one message to each scheduler involved, and its answer).
  GraphId submit(const Graph& graph, GraphOptions options = {});

  /// Runs every graph for the iterations ready (on the ring: delivers the callback
  /// values that arrived), waiting up to `timeout` for one.
  PollStatus poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  /// Polls until every graph's inputs ended (the simulation closed its streams), then
  /// closes the derived streams. Throws sluice::Error if an input fails (a reader
  /// error), or nothing arrives within `silence` (default: 10 minutes).
  void run(std::chrono::milliseconds silence = std::chrono::minutes(10));

  /// Ends a graph: its subscriptions are closed, its derived streams end. Local.
  void cancel(GraphId id);
  /// The graph's status (on the ring: asked of its root, waiting up to 10 s).
  [[nodiscard]] GraphStatus status(GraphId id) const;
  /// Whether the graph runs on the scheduler ring (else in this process).
  [[nodiscard]] bool runs_on_ring(GraphId id) const;
  /// Whether the graph's inputs ended (or it was cancelled).
  [[nodiscard]] bool has_ended(GraphId id) const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace sluice::graph
