#pragma once
// The messages of graphs between processes (MPI tag graph_tag on Runtime::world()):
// a client installs a graph on the schedulers that run it, partitions send the root
// their partials, the root sends the client its callback values and status. Each
// message is a kind byte, the graph's key, then fields in native byte order
// (core/bytes.hpp). Decoders check every length against the bytes and the limits:
// a malformed message is refused with InvalidArgument, never read past its end.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "partial.hpp"
#include "root.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/graph/status.hpp"
#include "sluice/mpi/send_queue.hpp"

namespace sluice::graph::detail {

/// The MPI tag of graph messages; reserved.
inline constexpr int graph_tag = 0x5200;

enum class MessageKind : std::uint8_t {
  install = 1,      // client -> every scheduler of the graph
  installed,        // scheduler -> client: ok, or why not
  partial,          // partition -> root, per iteration
  partition_ended,  // partition -> root: its inputs ended
  output,           // root -> client: a callback's values, per iteration
  graph_ended,      // root -> client: every input ended; the final status
  status_request,   // client -> root
  status_reply,     // root -> client
  cancel,           // client -> every scheduler of the graph
  list_request,     // anyone -> every scheduler: the graphs whose root runs there
  list_reply,       // scheduler -> the asker: their status
};

// Where a graph runs: its root and its partitions.
struct Placement {
  int root = 0;
  std::vector<PartitionPlace> partitions;
};

struct Install {
  std::uint64_t key = 0;
  Mode mode = Mode::compiled;
  int client = 0;
  std::uint64_t timing_window = 0;
  channel::Policy callbacks = channel::Policy::block;  // GraphOptions::callbacks
  std::string name;
  std::vector<NodeSpec> nodes;
  std::vector<OutputSpec> outputs;
  Placement placement;
};

// The first bytes of every message: its kind and graph key. False if too short.
bool read_header(std::string_view message, MessageKind& kind, std::uint64_t& key);

// Starts sending an encoded message to world rank `to` (graph_tag).
void send(mpi::SendQueue& outbox, int to, std::string_view message, std::uint64_t label = 0);

std::string encode_install(const Install& install, const Graph& graph);
Install decode_install(std::string_view message);

std::string encode_installed(std::uint64_t key, bool ok, std::string_view error);
void decode_installed(std::string_view message, bool& ok, std::string& error);

std::string encode_partial(std::uint64_t key, std::uint32_t partition, const Partial& partial);
// Into `partial`, reusing its buffers; returns the partition index.
std::uint32_t decode_partial(std::string_view message, Partial& partial);

// partition -> root: its inputs ended, with its final counters (what its inputs skipped
// after its last partial is counted too), or it stopped reading them: `why` (empty for
// an end of stream).
std::string encode_partition_ended(std::uint64_t key, std::uint32_t partition,
                                   const PartitionCounters& counters, std::string_view why);
// The partition's index.
std::uint32_t decode_partition_ended(std::string_view message, PartitionCounters& counters,
                                     std::string& why);
std::string encode_simple(MessageKind kind, std::uint64_t key, std::uint32_t value = 0);
std::uint32_t decode_simple(std::string_view message);

std::string encode_output(std::uint64_t key, std::uint32_t output, std::int64_t iteration,
                          std::span<const Value> values);
// Into `values`; returns the output index and sets the iteration.
std::uint32_t decode_output(std::string_view message, std::int64_t& iteration,
                            std::vector<Value>& values);

std::string encode_status(MessageKind kind, std::uint64_t key, const GraphStatus& status);
GraphStatus decode_status(std::string_view message);

// A list reply: `key` carries the request's number.
std::string encode_listing(std::uint64_t request, const std::vector<GraphStatus>& statuses);
std::vector<GraphStatus> decode_listing(std::string_view message);

}  // namespace sluice::graph::detail
