// The client: compiles and instantiates graphs, and runs them in this process.
#include "sluice/graph/client.hpp"

#include <algorithm>
#include <thread>

#include "partition.hpp"
#include "root.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/comm.hpp"
#include "template.hpp"

namespace sluice::graph {

struct Client::State {
  const Runtime* runtime;
  channel::Consumer* consumer;
  mpi::Comm self = mpi::Comm::borrow(MPI_COMM_SELF);
  std::unique_ptr<channel::Producer> producer;  // the derived streams of this process
  struct Running {
    std::unique_ptr<Graph> description;            // rebuild mode compiles it again
    std::unique_ptr<detail::Partition> partition;  // the graph in this process: one
    std::unique_ptr<detail::Root> root;            // partition and its root
    detail::Partial partial;
    GraphOptions options;
    bool has_ended = false;

    void close() {
      has_ended = true;
      partition->close();
      root->close();
    }
  };
  std::vector<Running> graphs;

  Running& graph(GraphId id) {
    if (id >= graphs.size()) {
      throw NotFound("finding graph " + std::to_string(id),
                     "no graph of that id was submitted here", "use the id submit() returned");
    }
    return graphs[id];
  }
};

Client::Client(const Runtime& runtime, channel::Consumer& consumer)
    : m_state(std::make_unique<State>()) {
  m_state->runtime = &runtime;
  m_state->consumer = &consumer;
  m_state->producer = std::make_unique<channel::Producer>(runtime, m_state->self);
}

Client::~Client() {
  for (auto& g : m_state->graphs) {
    g.close();
  }
}

GraphId Client::submit(const Graph& graph, GraphOptions options) {
  for (const auto& g : m_state->graphs) {
    if (g.description->name() == graph.name() && !g.has_ended) {
      throw InvalidArgument("submitting graph '" + graph.name() + "'",
                            "a running graph of this client has that name",
                            "name graphs apart, or cancel the other first");
    }
  }
  // Streams exposed since the consumer last looked (derived streams of other graphs).
  const auto& streams = m_state->consumer->discover();
  detail::Template compiled = detail::compile(graph, streams);
  State::Running running;
  running.description =
      std::make_unique<Graph>(graph.name(), graph.nodes(), graph.outputs(), graph.callbacks());
  running.options = options;
  detail::Ownership everything = detail::Ownership::everything(compiled);
  running.partition = std::make_unique<detail::Partition>(compiled, everything, *m_state->consumer);
  int me = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  const Graph* description = running.description.get();
  running.root = std::make_unique<detail::Root>(
      std::move(compiled), std::vector<detail::PartitionPlace>{{me, std::move(everything)}},
      *m_state->producer,
      [description](std::size_t output, std::int64_t iteration, std::span<const Value> values) {
        const auto& out = description->outputs()[output];
        description->callbacks()[out.callback](iteration, values);
      },
      options.timing_window);
  m_state->graphs.push_back(std::move(running));
  return m_state->graphs.size() - 1;
}

PollStatus Client::poll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool progressed = false;
    bool any_running = false;
    for (auto& g : m_state->graphs) {
      if (g.has_ended) {
        continue;
      }
      any_running = true;
      auto step = g.partition->next(std::chrono::milliseconds(0));
      if (step.status() == channel::StepStatus::end_of_stream) {
        g.root->partition_ended(0);
        g.close();
        continue;
      }
      if (step.status() == channel::StepStatus::error) {
        throw StateError("reading the inputs of graph '" + g.description->name() + "'",
                         step.error(), "");
      }
      if (!step.ok()) {
        continue;
      }
      if (g.options.mode == Mode::rebuilt) {
        // The comparison Doreisa makes every iteration: the same description compiled,
        // planned and allocated again.
        detail::Template again = detail::compile(*g.description, m_state->consumer->streams());
        g.partition->rebuild(again);
        g.root->rebuild(std::move(again));
      }
      g.partition->run(step, g.partial);
      g.root->add(0, g.partial);
      progressed = true;
    }
    if (!any_running) {
      return PollStatus::ended;
    }
    if (progressed) {
      return PollStatus::progressed;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return PollStatus::idle;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

void Client::run(std::chrono::milliseconds silence) {
  auto last = std::chrono::steady_clock::now();
  for (;;) {
    const auto status = poll(std::chrono::milliseconds(100));
    if (status == PollStatus::ended) {
      return;
    }
    if (status == PollStatus::progressed) {
      last = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last > silence) {
      throw StateError("running graphs",
                       "no input iteration arrived for " + std::to_string(silence.count()) + " ms",
                       "is the simulation still running?");
    }
  }
}

void Client::cancel(GraphId id) { m_state->graph(id).close(); }

GraphStatus Client::status(GraphId id) const { return m_state->graph(id).root->status(); }

bool Client::has_ended(GraphId id) const { return m_state->graph(id).has_ended; }

}  // namespace sluice::graph
