// The client: compiles graphs, runs them in this process or installs them on the
// scheduler ring, and delivers their callbacks.
#include "sluice/graph/client.hpp"

#include <algorithm>
#include <deque>
#include <thread>
#include <utility>

#include "../core/backoff.hpp"
#include "partition.hpp"
#include "placement.hpp"
#include "root.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/receive.hpp"
#include "sluice/mpi/send_queue.hpp"
#include "template.hpp"
#include "wire.hpp"

namespace sluice::graph {
namespace {

constexpr auto answer_timeout = std::chrono::seconds(30);

bool names_user_operators(const Graph& graph) {
  return std::any_of(graph.nodes().begin(), graph.nodes().end(),
                     [](const NodeSpec& n) { return n.op == Op::map || n.op == Op::reduction; });
}

}  // namespace

struct Client::State {
  const Runtime* runtime;
  channel::Consumer* consumer;
  mpi::Comm self = mpi::Comm::borrow(MPI_COMM_SELF);
  std::unique_ptr<channel::Producer> producer;  // the derived streams of this process
  std::unique_ptr<mpi::SendQueue> outbox;       // to the schedulers
  std::vector<std::byte> message;
  std::vector<Value> values;  // received callback values, reused
  // Callback values received while waiting for an answer (submit, status): kept for the
  // next poll(), so that callbacks run only inside poll() and run() (a callback that asks
  // for the status is not re-entered, and its values are not overwritten).
  bool is_deferring_outputs = false;
  std::deque<std::vector<std::byte>> deferred_outputs;

  struct Running {
    std::unique_ptr<Graph> description;  // rebuild mode compiles it again
    GraphOptions options;
    bool has_ended = false;
    bool is_cancelled = false;  // no callback runs after cancel()
    // In this process: one partition and its root.
    std::unique_ptr<detail::Partition> partition;
    std::unique_ptr<detail::Root> root;
    detail::Partial partial;
    // On the ring.
    std::uint64_t key = 0;
    std::vector<int> schedulers;  // every process it was installed on
    int root_rank = -1;
    std::size_t answers_missing = 0;
    std::string refusal;
    std::optional<GraphStatus> status;  // the last the root sent
    bool status_requested = false;

    [[nodiscard]] bool on_ring() const noexcept { return root_rank >= 0; }
    void close_local() {
      has_ended = true;
      if (partition) {
        partition->close();
      }
      if (root) {
        root->close();
      }
    }
  };
  std::vector<Running> graphs;

  // A graph on the ring whose scheduler died will never deliver again: said at once,
  // rather than after the silence run() tolerates (or never, for poll()).
  void check_hosts(Running& g) const {
    if (!runtime->any_gone()) {
      return;
    }
    for (int scheduler : g.schedulers) {
      if (runtime->is_gone(scheduler)) {
        g.has_ended = true;
        throw StateError("running graph '" + g.description->name() + "' on the scheduler ring",
                         "scheduler world rank " + std::to_string(scheduler) +
                             ", which runs part of it, is gone (killed or crashed)",
                         "the simulation goes on without it; submit the graph again to run it "
                         "on the schedulers left, or in this process (RunsOn::client)");
      }
    }
  }

  Running& graph(GraphId id) {
    if (id >= graphs.size()) {
      throw NotFound("finding graph " + std::to_string(id),
                     "no graph of that id was submitted here", "use the id submit() returned");
    }
    return graphs[id];
  }

  Running* by_key(std::uint64_t key) {
    for (auto& g : graphs) {
      if (g.on_ring() && g.key == key) {
        return &g;
      }
    }
    return nullptr;
  }

  void send(int to, const std::string& bytes) { detail::send(*outbox, to, bytes); }

  // Handles the messages schedulers sent; returns whether there was any.
  bool receive() {
    bool any = false;
    for (;;) {
      const auto from = mpi::receive_if_any(runtime->world(), MPI_ANY_SOURCE, detail::graph_tag,
                                            message, "receiving graph messages");
      if (!from) {
        break;
      }
      any = true;
      const std::string_view bytes(reinterpret_cast<const char*>(message.data()), message.size());
      try {
        handle(bytes, from->source);
      } catch (const InvalidArgument& e) {
        log::warn("a graph message from rank ", from->source, " was refused: ", e.what());
      }
    }
    outbox->test();
    return any;
  }

  void handle(std::string_view bytes, int source) {
    detail::MessageKind kind{};
    std::uint64_t key = 0;
    if (!detail::read_header(bytes, kind, key)) {
      throw InvalidArgument("reading a graph message", "it is malformed", "");
    }
    Running* g = by_key(key);
    if (g == nullptr) {
      return;
    }
    switch (kind) {
      case detail::MessageKind::installed: {
        bool ok = false;
        std::string error;
        detail::decode_installed(bytes, ok, error);
        if (!ok && g->refusal.empty()) {
          g->refusal = "scheduler (world rank " + std::to_string(source) + "): " + error;
        }
        if (g->answers_missing > 0) {
          --g->answers_missing;
        }
        return;
      }
      case detail::MessageKind::output: {
        if (is_deferring_outputs) {
          const auto* first = reinterpret_cast<const std::byte*>(bytes.data());
          deferred_outputs.emplace_back(first, first + bytes.size());
          return;
        }
        std::int64_t iteration = 0;
        const auto output = detail::decode_output(bytes, iteration, values);
        const auto& outputs = g->description->outputs();
        // Values that arrive after the graph ended (deferred ones) are still delivered.
        if (output < outputs.size() && outputs[output].stream.empty() && !g->is_cancelled) {
          try {
            g->description->callbacks()[outputs[output].callback](iteration, values);
          } catch (const std::exception& e) {
            log::warn("a callback of graph '", g->description->name(), "' failed at iteration ",
                      iteration, ": ", e.what());
          }
        }
        return;
      }
      case detail::MessageKind::graph_ended:
        g->status = detail::decode_status(bytes);
        g->has_ended = true;
        return;
      case detail::MessageKind::status_reply:
        g->status = detail::decode_status(bytes);
        g->status_requested = false;
        return;
      default:
        return;
    }
  }

  // Compiles `graph` and runs it here.
  void run_here(Running& running, detail::Template compiled) {
    detail::Ownership everything = detail::Ownership::everything(compiled);
    running.partition = std::make_unique<detail::Partition>(compiled, everything, *consumer);
    const Graph* description = running.description.get();
    running.root = std::make_unique<detail::Root>(
        std::move(compiled),
        std::vector<detail::PartitionPlace>{{runtime->world_rank(), std::move(everything)}},
        *producer,
        [description](std::size_t output, std::int64_t iteration, std::span<const Value> values) {
          const auto& out = description->outputs()[output];
          description->callbacks()[out.callback](iteration, values);
        },
        running.options.timing_window);
  }

  // Places `graph` on the ring and installs it on every scheduler involved.
  void run_on_ring(Running& running, const detail::Template& compiled, const Graph& graph) {
    if (!outbox) {
      outbox = std::make_unique<mpi::SendQueue>(runtime->world(), "sending graph messages");
    }
    static std::uint32_t submitted = 0;
    detail::Install install;
    install.key = (static_cast<std::uint64_t>(runtime->world_rank()) << 32) | ++submitted;
    install.mode = running.options.mode;
    install.client = runtime->world_rank();
    install.timing_window = running.options.timing_window;
    install.callbacks = running.options.callbacks;
    install.placement =
        detail::place(compiled, consumer->streams(), runtime->ranks_of(Role::scheduler), *runtime);
    running.key = install.key;
    running.root_rank = install.placement.root;
    running.schedulers.push_back(install.placement.root);
    for (const auto& p : install.placement.partitions) {
      if (std::find(running.schedulers.begin(), running.schedulers.end(), p.world_rank) ==
          running.schedulers.end()) {
        running.schedulers.push_back(p.world_rank);
      }
    }
    const std::string message = detail::encode_install(install, graph);
    for (int s : running.schedulers) {
      send(s, message);
    }
    running.answers_missing = running.schedulers.size();
  }

  // Runs the callbacks of the values deferred while waiting for an answer; returns
  // whether there was any.
  bool deliver_deferred() {
    bool any = false;
    while (!deferred_outputs.empty()) {
      const std::vector<std::byte> bytes = std::move(deferred_outputs.front());
      deferred_outputs.pop_front();
      any = true;
      try {
        handle(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), -1);
      } catch (const InvalidArgument& e) {
        log::warn("a graph message was refused: ", e.what());
      }
    }
    return any;
  }

  // Defers callback values for as long as it lives.
  struct Deferring {
    explicit Deferring(State& state)
        : s(state), was(std::exchange(state.is_deferring_outputs, true)) {}
    ~Deferring() { s.is_deferring_outputs = was; }
    Deferring(const Deferring&) = delete;
    Deferring& operator=(const Deferring&) = delete;
    State& s;
    bool was;
  };

  void wait_for_answers(Running& g) {
    const Deferring deferring(*this);
    const auto deadline = std::chrono::steady_clock::now() + answer_timeout;
    while (g.answers_missing > 0) {
      if (!receive()) {
        if (std::chrono::steady_clock::now() > deadline) {
          g.refusal = std::to_string(g.answers_missing) + " scheduler(s) did not answer in " +
                      std::to_string(answer_timeout.count()) + " s";
          break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
  }
};

Client::Client(const Runtime& runtime, channel::Consumer& consumer)
    : m_state(std::make_unique<State>()) {
  m_state->runtime = &runtime;
  m_state->consumer = &consumer;
  m_state->producer = std::make_unique<channel::Producer>(runtime, m_state->self);
}

Client::~Client() {
  for (std::size_t id = 0; id < m_state->graphs.size(); ++id) {
    if (!m_state->graphs[id].has_ended) {
      try {
        cancel(id);
      } catch (const Error& e) {
        log::warn("cancelling graph ", id, ": ", e.what());
      }
    }
  }
  if (m_state->outbox) {
    m_state->outbox->drain();
  }
}

GraphId Client::submit(const Graph& graph, GraphOptions options) {
  auto& s = *m_state;
  for (const auto& g : s.graphs) {
    if (g.description->name() == graph.name() && !g.has_ended) {
      throw InvalidArgument("submitting graph '" + graph.name() + "'",
                            "a running graph of this client has that name",
                            "name graphs apart, or cancel the other first");
    }
  }
  if (options.callbacks == channel::Policy::latest) {
    throw InvalidArgument("submitting graph '" + graph.name() + "'",
                          "callbacks cannot take Policy::latest",
                          "use Policy::block (nothing lost) or Policy::skip (never waits)");
  }
  // Streams exposed since the consumer last looked (derived streams of other graphs).
  const auto& streams = s.consumer->discover();
  detail::Template compiled = detail::compile(graph, streams);
  const bool has_ring = s.runtime->has(Role::scheduler);
  if (options.runs_on == RunsOn::schedulers && !has_ring) {
    throw StateError("submitting graph '" + graph.name() + "' to the scheduler ring",
                     "the job has no sluice-scheduler", "start some, or run it on the client");
  }
  const bool on_ring =
      options.runs_on == RunsOn::schedulers ||
      (options.runs_on == RunsOn::automatic && has_ring && !names_user_operators(graph));
  State::Running running;
  running.description =
      std::make_unique<Graph>(graph.name(), graph.nodes(), graph.outputs(), graph.callbacks());
  running.options = options;
  if (!on_ring) {
    s.run_here(running, std::move(compiled));
    s.graphs.push_back(std::move(running));
    return s.graphs.size() - 1;
  }
  s.run_on_ring(running, compiled, graph);
  s.graphs.push_back(std::move(running));
  auto& g = s.graphs.back();
  s.wait_for_answers(g);
  if (!g.refusal.empty()) {
    for (int scheduler : g.schedulers) {
      s.send(scheduler, detail::encode_simple(detail::MessageKind::cancel, g.key));
    }
    g.has_ended = true;
    throw StateError("installing graph '" + graph.name() + "' on the scheduler ring", g.refusal,
                     "check that the schedulers run the same sluice and register the graph's "
                     "operators");
  }
  return s.graphs.size() - 1;
}

PollStatus Client::poll(std::chrono::milliseconds timeout) {
  auto& s = *m_state;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Graphs on the ring wait for the job to start; graphs here start it with their first
  // read.
  s.consumer->start();
  // Yields first, then short sleeps: an output that arrives is delivered within
  // microseconds when this process has a core, and the core is given up when it has not.
  sluice::detail::Backoff backoff(std::chrono::microseconds(20));
  for (;;) {
    bool progressed = s.deliver_deferred();
    progressed = (s.outbox && s.receive()) || progressed;
    bool any_running = false;
    for (auto& g : s.graphs) {
      if (g.has_ended) {
        continue;
      }
      any_running = true;
      if (g.on_ring()) {
        s.check_hosts(g);
        continue;
      }
      auto step = g.partition->next(std::chrono::milliseconds(0));
      if (step.status() == channel::StepStatus::end_of_stream) {
        // What the inputs skipped after the last iteration that ran is counted too.
        g.root->update_counters(0, g.partition->counters());
        g.root->partition_ended(0);
        g.close_local();
        progressed = true;
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
        detail::Template again = detail::compile(*g.description, s.consumer->streams(), false);
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
    backoff.wait();
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
                       "nothing arrived for " + std::to_string(silence.count()) + " ms",
                       "is the simulation still running?");
    }
  }
}

void Client::cancel(GraphId id) {
  auto& s = *m_state;
  auto& g = s.graph(id);
  if (g.has_ended) {
    return;
  }
  g.is_cancelled = true;
  if (g.on_ring()) {
    for (int scheduler : g.schedulers) {
      s.send(scheduler, detail::encode_simple(detail::MessageKind::cancel, g.key));
    }
    g.has_ended = true;
    return;
  }
  g.close_local();
}

GraphStatus Client::status(GraphId id) const {
  auto& s = *m_state;
  auto& g = s.graph(id);
  if (!g.on_ring()) {
    if (!g.has_ended) {
      g.root->update_counters(0, g.partition->counters());  // skips since the last iteration
    }
    GraphStatus status = g.root->status();
    status.root = s.runtime->world_rank();
    return status;
  }
  if (!g.has_ended) {
    const State::Deferring deferring(s);  // callbacks run in poll() only
    g.status_requested = true;
    s.send(g.root_rank, detail::encode_simple(detail::MessageKind::status_request, g.key));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (g.status_requested && !g.has_ended) {
      if (!s.receive()) {
        if (std::chrono::steady_clock::now() > deadline) {
          throw StateError(
              "asking graph '" + g.description->name() + "' for its status",
              "its root (world rank " + std::to_string(g.root_rank) + ") did not answer in 10 s",
              "");
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
  }
  if (g.status) {
    return *g.status;
  }
  GraphStatus none;
  none.name = g.description->name();
  return none;
}

bool Client::has_ended(GraphId id) const { return m_state->graph(id).has_ended; }

bool Client::runs_on_ring(GraphId id) const { return m_state->graph(id).on_ring(); }

}  // namespace sluice::graph
