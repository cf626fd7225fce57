// The scheduler's side of graphs: installs the partitions and roots clients place here,
// runs them, and exchanges their messages (wire.hpp).
#include "sluice/graph/executor.hpp"

#include <map>

#include "partition.hpp"
#include "placement.hpp"
#include "root.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/receive.hpp"
#include "sluice/mpi/send_queue.hpp"
#include "wire.hpp"

namespace sluice::graph {
namespace {

// Callback values a root keeps in flight to a client that does not receive them; beyond
// that, as the graph's callback policy says: the partitions here pause (block: the
// client holds the graph, and so the simulation, up to the reader lease), or further
// values are dropped and counted (skip: the graph never waits for its client).
constexpr std::size_t max_outputs_in_flight = 256;

}  // namespace

struct Executor::State {
  const Runtime* runtime;
  int me = 0;
  mpi::Comm self = mpi::Comm::borrow(MPI_COMM_SELF);
  std::unique_ptr<channel::Consumer> consumer;  // made at the first installation
  std::unique_ptr<channel::Producer> producer;
  mpi::SendQueue outbox;
  // Callback values, as synchronous sends: what is pending is what a client has not
  // taken, which max_outputs_in_flight bounds. Given up 2 s after the end (a client
  // that stopped listening may never take them). After outbox: destroyed first.
  mpi::SendQueue outputs;
  std::vector<std::byte> message;

  struct Hosted {
    detail::Install install;
    std::unique_ptr<Graph> description;
    std::unique_ptr<detail::Partition> partition;
    std::uint32_t partition_index = 0;
    std::unique_ptr<detail::Root> root;
    detail::Partial partial;   // what the partition computed
    detail::Partial incoming;  // what another partition sent the root
    bool partition_ended = false;
    std::uint64_t dropped = 0;   // callback values not sent
    std::uint64_t messages = 0;  // partials and outputs sent and received
    [[nodiscard]] bool is_done() const {
      return (partition == nullptr || partition_ended) && (root == nullptr || root->has_ended());
    }
  };
  std::map<std::uint64_t, Hosted> graphs;

  explicit State(const Runtime& rt)
      : runtime(&rt),
        outbox(rt.world(), "sending graph messages"),
        outputs(rt.world(), "sending callback values",
                {.synchronous = true, .patience = std::chrono::seconds(2)}) {
    me = rt.world_rank();
  }

  void send(int to, const std::string& message) { detail::send(outbox, to, message); }

  void install(std::string_view message, int source) {
    std::uint64_t key = 0;
    try {
      detail::Install install = detail::decode_install(message);
      key = install.key;
      if (graphs.contains(key)) {
        throw InvalidArgument("installing graph '" + install.name + "'",
                              "a graph with that key runs here", "");
      }
      if (!consumer) {
        consumer = std::make_unique<channel::Consumer>(*runtime);
        producer = std::make_unique<channel::Producer>(*runtime, self);
      }
      Hosted hosted;
      hosted.description = std::make_unique<Graph>(install.name, install.nodes, install.outputs,
                                                   std::vector<Callback>{});
      detail::Template compiled = detail::compile(*hosted.description, consumer->discover(), false);
      const auto& places = install.placement.partitions;
      for (std::uint32_t p = 0; p < places.size(); ++p) {
        if (places[p].world_rank == me) {
          hosted.partition =
              std::make_unique<detail::Partition>(compiled, places[p].ownership, *consumer);
          hosted.partition_index = p;
        }
      }
      if (install.placement.root == me) {
        const int client = install.client;
        auto sink = [this, key, client](std::size_t output, std::int64_t iteration,
                                        std::span<const Value> values) {
          auto& h = graphs.at(key);
          outputs.test();
          if (outputs.pending(key) >= max_outputs_in_flight &&
              h.install.callbacks == channel::Policy::skip) {
            ++h.dropped;
            return;
          }
          detail::send(
              outputs, client,
              detail::encode_output(key, static_cast<std::uint32_t>(output), iteration, values),
              key);
          ++h.messages;
        };
        hosted.root = std::make_unique<detail::Root>(std::move(compiled), places, *producer,
                                                     std::move(sink), install.timing_window);
      }
      hosted.install = std::move(install);
      graphs.emplace(key, std::move(hosted));
      send(source, detail::encode_installed(key, true, {}));
    } catch (const Error& e) {
      log::warn("graph installation from rank ", source, " refused: ", e.what());
      send(source, detail::encode_installed(key, false, e.what()));
    }
  }

  GraphStatus status_of(const Hosted& h) const {
    GraphStatus status = h.root->status();
    status.root = me;
    status.callbacks_dropped = h.dropped;
    status.messages = h.messages;
    return status;
  }

  void handle(std::string_view message, int source) {
    detail::MessageKind kind{};
    std::uint64_t key = 0;
    if (!detail::read_header(message, kind, key)) {
      log::warn("a graph message from rank ", source, " is malformed; dropped");
      return;
    }
    if (kind == detail::MessageKind::install) {
      install(message, source);
      return;
    }
    if (kind == detail::MessageKind::list_request) {
      std::vector<GraphStatus> statuses;
      for (const auto& [graph_key, h] : graphs) {
        if (h.root) {
          statuses.push_back(status_of(h));
        }
      }
      send(source, detail::encode_listing(key, statuses));
      return;
    }
    const auto found = graphs.find(key);
    if (found == graphs.end()) {
      return;  // a graph cancelled or ended here already
    }
    Hosted& h = found->second;
    switch (kind) {
      case detail::MessageKind::partial:
        if (h.root) {
          const auto partition = detail::decode_partial(message, h.incoming);
          ++h.messages;
          h.root->add(partition, h.incoming);
        }
        return;
      case detail::MessageKind::partition_ended:
        if (h.root) {
          detail::PartitionCounters counters;
          std::string why;
          const auto partition = detail::decode_partition_ended(message, counters, why);
          h.root->update_counters(partition, counters);
          root_partition_ended(key, h, partition, why);
        }
        return;
      case detail::MessageKind::status_request:
        if (h.root) {
          if (h.partition && !h.partition_ended) {
            h.root->update_counters(h.partition_index, h.partition->counters());
          }
          send(source, detail::encode_status(detail::MessageKind::status_reply, key, status_of(h)));
        }
        return;
      case detail::MessageKind::cancel:
        if (h.partition) {
          h.partition->close();
        }
        if (h.root) {
          h.root->close();
        }
        graphs.erase(found);
        return;
      default:
        log::warn("a graph message of kind ", static_cast<int>(kind), " from rank ", source,
                  " was not for a scheduler; dropped");
        return;
    }
  }

  void root_partition_ended(std::uint64_t key, Hosted& h, std::uint32_t partition,
                            std::string_view why = {}) {
    h.root->partition_ended(partition, why);
    if (h.root->has_ended()) {
      send(h.install.client,
           detail::encode_status(detail::MessageKind::graph_ended, key, status_of(h)));
    }
  }

  // A graph whose client or another of its schedulers is gone cannot deliver any more:
  // its parts here end (their subscriptions closed, so that nothing waits for them).
  void end_graphs_of_gone_processes() {
    for (auto it = graphs.begin(); it != graphs.end();) {
      Hosted& h = it->second;
      int gone = runtime->is_gone(h.install.client) ? h.install.client : -1;
      for (const auto& place : h.install.placement.partitions) {
        gone = gone < 0 && runtime->is_gone(place.world_rank) ? place.world_rank : gone;
      }
      if (gone < 0 && runtime->is_gone(h.install.placement.root)) {
        gone = h.install.placement.root;
      }
      if (gone < 0) {
        ++it;
        continue;
      }
      log::warn("graph '", h.install.name, "' ends here: world rank ", gone, " (",
                role_name(runtime->role_of(gone)),
                "), which takes part in it, is gone (killed or crashed)");
      if (h.partition) {
        h.partition->close();
      }
      if (h.root) {
        h.root->close();
      }
      it = graphs.erase(it);
    }
  }

  // Policy::block: a client that has not taken max_outputs_in_flight values holds the
  // partition that runs with the graph's root (not reading, it keeps the simulation's
  // slots). Partitions on other schedulers go on until the simulation, held by this
  // one, stops publishing; the root keeps their partials meanwhile.
  bool is_held_by_its_client(std::uint64_t key, const Hosted& h) {
    if (!h.root || h.install.callbacks != channel::Policy::block) {
      return false;
    }
    outputs.test();
    return outputs.pending(key) >= max_outputs_in_flight;
  }

  // Runs the partitions hosted here for the iterations their inputs have.
  bool run_partitions() {
    bool progressed = false;
    for (auto& [key, h] : graphs) {
      if (!h.partition || h.partition_ended || is_held_by_its_client(key, h)) {
        continue;
      }
      auto step = h.partition->next(std::chrono::milliseconds(0));
      if (step.status() == channel::StepStatus::end_of_stream ||
          step.status() == channel::StepStatus::error) {
        // An error (an eviction) ends the graph early: its client learns why.
        const std::string why(step.status() == channel::StepStatus::error ? step.error() : "");
        if (!why.empty()) {
          log::warn("graph '", h.install.name, "' stops reading its inputs: ", why);
        }
        h.partition_ended = true;
        h.partition->close();
        if (h.root) {
          // What the inputs skipped after the last iteration that ran is counted too.
          h.root->update_counters(h.partition_index, h.partition->counters());
          root_partition_ended(key, h, h.partition_index, why);
        } else {
          send(h.install.placement.root, detail::encode_partition_ended(
                                             key, h.partition_index, h.partition->counters(), why));
        }
        progressed = true;
        continue;
      }
      if (!step.ok()) {
        continue;
      }
      if (h.install.mode == Mode::rebuilt) {
        // As a graph rebuilt every iteration would be: compiled and placed again, its
        // partition re-allocated and re-planned.
        detail::Template again = detail::compile(*h.description, consumer->streams(), false);
        (void)detail::place(again, consumer->streams(), runtime->ranks_of(Role::scheduler),
                            *runtime);
        h.partition->rebuild(std::move(again));
      }
      h.partition->run(step, h.partial);
      if (h.root) {
        h.root->add(h.partition_index, h.partial);
      } else {
        send(h.install.placement.root, detail::encode_partial(key, h.partition_index, h.partial));
        ++h.messages;
      }
      progressed = true;
    }
    return progressed;
  }
};

Executor::Executor(const Runtime& runtime) : m_state(std::make_unique<State>(runtime)) {}

Executor::~Executor() {
  for (auto& [key, h] : m_state->graphs) {
    if (h.partition) {
      h.partition->close();
    }
    if (h.root) {
      h.root->close();
    }
  }
}

bool Executor::poll() {
  auto& s = *m_state;
  bool progressed = false;
  // A bounded number of messages per poll: the partitions run between bursts.
  for (int i = 0; i < 64; ++i) {
    const auto from = mpi::receive_if_any(s.runtime->world(), MPI_ANY_SOURCE, detail::graph_tag,
                                          s.message, "receiving graph messages");
    if (!from) {
      break;
    }
    progressed = true;
    try {
      s.handle(std::string_view(reinterpret_cast<const char*>(s.message.data()), s.message.size()),
               from->source);
    } catch (const Error& e) {
      log::warn("a graph message from rank ", from->source, " was refused: ", e.what());
    }
  }
  // Partitions read only once the job has started (their first next() would wait for
  // the start, and this process must go on receiving installations until then).
  try {
    if (s.runtime->start_when_ready()) {
      s.outputs.test();
      progressed = s.run_partitions() || progressed;
    }
  } catch (const Error& e) {
    log::error("running graphs: ", e.what());
  }
  s.outbox.test();
  if (s.runtime->any_gone()) {
    s.end_graphs_of_gone_processes();
  }
  // Graphs whose inputs ended and whose root reported: forget them.
  std::erase_if(s.graphs, [](const auto& entry) { return entry.second.is_done(); });
  return progressed;
}

bool Executor::is_busy() const { return !m_state->graphs.empty(); }

std::size_t Executor::graphs() const { return m_state->graphs.size(); }

}  // namespace sluice::graph
