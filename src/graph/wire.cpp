#include "wire.hpp"

#include "../core/bytes.hpp"
#include "sluice/core/error.hpp"

namespace sluice::graph::detail {
namespace {

using sluice::detail::ByteReader;
using sluice::detail::get_extents;
using sluice::detail::put_bytes;
using sluice::detail::put_extents;
using sluice::detail::put_text;

constexpr std::size_t max_dims = 3;
constexpr std::uint32_t max_nodes = 1u << 20;

[[noreturn]] void malformed(std::string_view what) {
  throw InvalidArgument("reading a graph message", "it is malformed (" + std::string(what) + ")",
                        "the sender and this process must run the same sluice");
}

void need(bool ok, std::string_view what) {
  if (!ok) {
    malformed(what);
  }
}

void header(std::string& out, MessageKind kind, std::uint64_t key) {
  put_bytes(out, static_cast<std::uint8_t>(kind));
  put_bytes(out, key);
}

ByteReader after_header(std::string_view message) {
  ByteReader in(message);
  std::uint8_t kind = 0;
  std::uint64_t key = 0;
  need(in.get(kind) && in.get(key), "header");
  return in;
}

void put_selection(std::string& out, const Selection& s) {
  put_extents(out, s.start);
  put_extents(out, s.count);
  put_extents(out, s.every);
}

void get_selection(ByteReader& in, Selection& s) {
  need(get_extents(in, s.start, max_dims) && get_extents(in, s.count, max_dims) &&
           get_extents(in, s.every, max_dims),
       "selection");
}

template <typename T>
void put_vector(std::string& out, const std::vector<T>& v) {
  put_bytes(out, static_cast<std::uint32_t>(v.size()));
  for (const auto& x : v) {
    put_bytes(out, x);
  }
}

template <typename T>
void get_vector(ByteReader& in, std::vector<T>& v, std::string_view what) {
  std::uint32_t n = 0;
  need(in.get_count(n, sizeof(T)), what);
  v.resize(n);
  for (auto& x : v) {
    need(in.get(x), what);
  }
}

}  // namespace

void send(mpi::SendQueue& outbox, int to, std::string_view message, std::uint64_t label) {
  const auto* first = reinterpret_cast<const std::byte*>(message.data());
  outbox.send(to, graph_tag, {first, first + message.size()}, label);
}

bool read_header(std::string_view message, MessageKind& kind, std::uint64_t& key) {
  ByteReader in(message);
  std::uint8_t k = 0;
  if (!in.get(k) || !in.get(key) || k < 1 ||
      k > static_cast<std::uint8_t>(MessageKind::list_reply)) {
    return false;
  }
  kind = static_cast<MessageKind>(k);
  return true;
}

std::string encode_install(const Install& install, const Graph& graph) {
  std::string out;
  header(out, MessageKind::install, install.key);
  put_bytes(out, static_cast<std::uint8_t>(install.mode));
  put_bytes(out, static_cast<std::int32_t>(install.client));
  put_bytes(out, install.timing_window);
  put_bytes(out, static_cast<std::uint8_t>(install.callbacks));
  put_text(out, graph.name());
  put_bytes(out, static_cast<std::uint32_t>(graph.nodes().size()));
  for (const auto& n : graph.nodes()) {
    put_bytes(out, static_cast<std::uint8_t>(n.op));
    put_vector(out, n.args);
    put_text(out, n.name);
    put_selection(out, n.selection);
    put_bytes(out, static_cast<std::int32_t>(n.lag));
    put_bytes(out, n.constant);
    put_bytes(out, n.upper);
    put_bytes(out, n.bins);
    put_vector(out, n.axes);
    put_bytes(out, static_cast<std::uint8_t>(n.dtype));
    put_text(out, n.label);
  }
  put_bytes(out, static_cast<std::uint32_t>(graph.outputs().size()));
  for (const auto& o : graph.outputs()) {
    put_text(out, o.stream);
    put_vector(out, o.nodes);
    put_bytes(out, static_cast<std::uint64_t>(o.callback));
    put_bytes(out, static_cast<std::int32_t>(o.options.depth));
    put_bytes(out, static_cast<std::uint8_t>(o.options.policy));
  }
  put_bytes(out, static_cast<std::int32_t>(install.placement.root));
  put_bytes(out, static_cast<std::uint32_t>(install.placement.partitions.size()));
  for (const auto& p : install.placement.partitions) {
    put_bytes(out, static_cast<std::int32_t>(p.world_rank));
    put_bytes(out, static_cast<std::uint32_t>(p.ownership.boxes.size()));
    for (const auto& boxes : p.ownership.boxes) {
      put_bytes(out, static_cast<std::uint32_t>(boxes.size()));
      for (const auto& box : boxes) {
        put_extents(out, box.start);
        put_extents(out, box.count);
      }
    }
  }
  return out;
}

Install decode_install(std::string_view message) {
  ByteReader in(message);
  Install install;
  std::uint8_t kind = 0;
  std::uint8_t mode = 0;
  std::int32_t client = 0;
  std::uint8_t callbacks = 0;
  need(in.get(kind) && in.get(install.key) && in.get(mode) && in.get(client) &&
           in.get(install.timing_window) && in.get(callbacks) && in.get_text(install.name),
       "install header");
  need(mode <= static_cast<std::uint8_t>(Mode::rebuilt), "mode");
  need(callbacks == static_cast<std::uint8_t>(channel::Policy::block) ||
           callbacks == static_cast<std::uint8_t>(channel::Policy::skip),
       "callback policy");
  install.callbacks = static_cast<channel::Policy>(callbacks);
  install.mode = static_cast<Mode>(mode);
  install.client = client;
  std::uint32_t nodes = 0;
  need(in.get_count(nodes, 8) && nodes <= max_nodes, "node count");
  install.nodes.resize(nodes);
  for (auto& n : install.nodes) {
    std::uint8_t op = 0;
    std::int32_t lag = 0;
    std::uint8_t dtype = 0;
    need(in.get(op) && op <= static_cast<std::uint8_t>(Op::reduction), "operation");
    n.op = static_cast<Op>(op);
    get_vector(in, n.args, "arguments");
    need(in.get_text(n.name), "name");
    get_selection(in, n.selection);
    need(in.get(lag) && in.get(n.constant) && in.get(n.upper) && in.get(n.bins), "fields");
    n.lag = lag;
    get_vector(in, n.axes, "axes");
    need(in.get(dtype) && dtype <= static_cast<std::uint8_t>(Dtype::u8), "dtype");
    n.dtype = static_cast<Dtype>(dtype);
    need(in.get_text(n.label), "label");
  }
  std::uint32_t outputs = 0;
  need(in.get_count(outputs, 8), "output count");
  install.outputs.resize(outputs);
  for (auto& o : install.outputs) {
    std::uint64_t callback = 0;
    std::int32_t depth = 0;
    std::uint8_t policy = 0;
    need(in.get_text(o.stream), "output stream");
    get_vector(in, o.nodes, "output nodes");
    need(in.get(callback) && in.get(depth) && in.get(policy), "output fields");
    need(policy <= static_cast<std::uint8_t>(channel::Policy::latest), "policy");
    o.callback = callback;
    o.options = {.depth = depth, .policy = static_cast<channel::Policy>(policy)};
  }
  std::int32_t root = 0;
  std::uint32_t partitions = 0;
  need(in.get(root) && in.get_count(partitions, 8), "placement");
  install.placement.root = root;
  install.placement.partitions.resize(partitions);
  for (auto& p : install.placement.partitions) {
    std::int32_t rank = 0;
    std::uint32_t domains = 0;
    need(in.get(rank) && in.get_count(domains, 4), "partition");
    p.world_rank = rank;
    p.ownership.boxes.resize(domains);
    for (auto& boxes : p.ownership.boxes) {
      std::uint32_t count = 0;
      need(in.get_count(count, 8), "boxes");
      boxes.resize(count);
      for (auto& box : boxes) {
        need(get_extents(in, box.start, max_dims) && get_extents(in, box.count, max_dims) &&
                 box.start.size() == box.count.size(),
             "box");
      }
    }
  }
  need(in.at_end(), "trailing bytes");
  return install;
}

std::string encode_installed(std::uint64_t key, bool ok, std::string_view error) {
  std::string out;
  header(out, MessageKind::installed, key);
  put_bytes(out, static_cast<std::uint8_t>(ok ? 1 : 0));
  put_text(out, error);
  return out;
}

void decode_installed(std::string_view message, bool& ok, std::string& error) {
  ByteReader in = after_header(message);
  std::uint8_t flag = 0;
  need(in.get(flag) && in.get_text(error), "installed");
  ok = flag != 0;
}

std::string encode_partial(std::uint64_t key, std::uint32_t partition, const Partial& p) {
  std::string out;
  header(out, MessageKind::partial, key);
  put_bytes(out, partition);
  put_bytes(out, p.iteration);
  put_bytes(out, static_cast<std::uint8_t>(p.failed ? 1 : 0));
  put_text(out, p.error);
  put_bytes(out, p.time_us);
  put_bytes(out, p.committed_ns);
  put_bytes(out, p.counters);
  put_vector(out, p.scalars);
  put_bytes(out, static_cast<std::uint32_t>(p.reductions.size()));
  for (const auto& domain : p.reductions) {
    put_bytes(out, static_cast<std::uint32_t>(domain.size()));
    for (const auto& r : domain) {
      put_vector(out, r.moments);
      put_vector(out, r.counts);
      put_vector(out, r.partial);
    }
  }
  put_bytes(out, static_cast<std::uint32_t>(p.arrays.size()));
  for (const auto& a : p.arrays) {
    put_vector(out, a);
  }
  return out;
}

std::uint32_t decode_partial(std::string_view message, Partial& p) {
  ByteReader in = after_header(message);
  std::uint32_t partition = 0;
  std::uint8_t failed = 0;
  need(in.get(partition) && in.get(p.iteration) && in.get(failed) && in.get_text(p.error) &&
           in.get(p.time_us) && in.get(p.committed_ns) && in.get(p.counters),
       "partial header");
  p.failed = failed != 0;
  get_vector(in, p.scalars, "scalars");
  std::uint32_t domains = 0;
  need(in.get_count(domains, 4), "domains");
  p.reductions.resize(domains);
  for (auto& domain : p.reductions) {
    std::uint32_t count = 0;
    need(in.get_count(count, 12), "reductions");
    domain.resize(count);
    for (auto& r : domain) {
      get_vector(in, r.moments, "moments");
      get_vector(in, r.counts, "counts");
      get_vector(in, r.partial, "partial");
    }
  }
  std::uint32_t arrays = 0;
  need(in.get_count(arrays, 4), "arrays");
  p.arrays.resize(arrays);
  for (auto& a : p.arrays) {
    get_vector(in, a, "array");
  }
  need(in.at_end(), "trailing bytes");
  return partition;
}

std::string encode_partition_ended(std::uint64_t key, std::uint32_t partition,
                                   const PartitionCounters& counters, std::string_view why) {
  std::string out;
  header(out, MessageKind::partition_ended, key);
  put_bytes(out, partition);
  put_bytes(out, counters);
  put_text(out, why);
  return out;
}

std::uint32_t decode_partition_ended(std::string_view message, PartitionCounters& counters,
                                     std::string& why) {
  ByteReader in = after_header(message);
  std::uint32_t partition = 0;
  need(in.get(partition) && in.get(counters) && in.get_text(why), "partition, counters, why");
  return partition;
}

std::string encode_simple(MessageKind kind, std::uint64_t key, std::uint32_t value) {
  std::string out;
  header(out, kind, key);
  put_bytes(out, value);
  return out;
}

std::uint32_t decode_simple(std::string_view message) {
  ByteReader in = after_header(message);
  std::uint32_t value = 0;
  need(in.get(value), "value");
  return value;
}

std::string encode_output(std::uint64_t key, std::uint32_t output, std::int64_t iteration,
                          std::span<const Value> values) {
  std::string out;
  header(out, MessageKind::output, key);
  put_bytes(out, output);
  put_bytes(out, iteration);
  put_bytes(out, static_cast<std::uint32_t>(values.size()));
  for (const auto& v : values) {
    put_bytes(out, static_cast<std::uint8_t>(v.dtype));
    put_extents(out, v.shape);
    put_vector(out, v.data);
  }
  return out;
}

std::uint32_t decode_output(std::string_view message, std::int64_t& iteration,
                            std::vector<Value>& values) {
  ByteReader in = after_header(message);
  std::uint32_t output = 0;
  std::uint32_t count = 0;
  need(in.get(output) && in.get(iteration) && in.get_count(count, 9), "output");
  values.resize(count);
  for (auto& v : values) {
    std::uint8_t dtype = 0;
    need(in.get(dtype) && dtype <= static_cast<std::uint8_t>(Dtype::u8), "dtype");
    v.dtype = static_cast<Dtype>(dtype);
    need(get_extents(in, v.shape, max_dims), "shape");
    // Extents from the wire: negative ones or a product past 64 bits are refused
    // before they are multiplied (signed overflow).
    std::uint64_t elements = 1;
    for (const auto extent : v.shape) {
      need(extent >= 0 &&
               !__builtin_mul_overflow(elements, static_cast<std::uint64_t>(extent), &elements),
           "shape");
    }
    get_vector(in, v.data, "values");
    need(v.data.size() == std::max<std::uint64_t>(elements, 1), "value size");
  }
  need(in.at_end(), "trailing bytes");
  return output;
}

namespace {

void put_status(std::string& out, const GraphStatus& s) {
  put_text(out, s.name);
  put_bytes(out, static_cast<std::int32_t>(s.root));
  put_bytes(out, s.last_iteration);
  for (auto v : {s.iterations, s.failed_iterations, s.skipped_iterations, s.callbacks_dropped,
                 s.bytes_pulled, s.messages, s.tasks_per_iteration, s.compilations, s.placements,
                 s.allocations, s.subscriptions, s.replans}) {
    put_bytes(out, v);
  }
  put_text(out, s.last_error);
  put_bytes(out, s.last_error_iteration);
  put_text(out, s.stopped_early);
  put_bytes(out, s.iteration_time);
  put_bytes(out, s.latency);
  put_bytes(out, static_cast<std::uint32_t>(s.partitions.size()));
  for (const auto& p : s.partitions) {
    put_bytes(out, p);
  }
}

void get_status(ByteReader& in, GraphStatus& s) {
  std::int32_t root = -1;
  need(in.get_text(s.name) && in.get(root) && in.get(s.last_iteration), "status");
  s.root = root;
  for (auto* v : {&s.iterations, &s.failed_iterations, &s.skipped_iterations, &s.callbacks_dropped,
                  &s.bytes_pulled, &s.messages, &s.tasks_per_iteration, &s.compilations,
                  &s.placements, &s.allocations, &s.subscriptions, &s.replans}) {
    need(in.get(*v), "status counters");
  }
  std::uint32_t partitions = 0;
  need(in.get_text(s.last_error) && in.get(s.last_error_iteration) &&
           in.get_text(s.stopped_early) && in.get(s.iteration_time) && in.get(s.latency) &&
           in.get_count(partitions, sizeof(PartitionStatus)),
       "status");
  s.partitions.resize(partitions);
  for (auto& p : s.partitions) {
    need(in.get(p), "partition status");
  }
}

}  // namespace

std::string encode_status(MessageKind kind, std::uint64_t key, const GraphStatus& s) {
  std::string out;
  header(out, kind, key);
  put_status(out, s);
  return out;
}

GraphStatus decode_status(std::string_view message) {
  ByteReader in = after_header(message);
  GraphStatus s;
  get_status(in, s);
  need(in.at_end(), "trailing bytes");
  return s;
}

std::string encode_listing(std::uint64_t request, const std::vector<GraphStatus>& statuses) {
  std::string out;
  header(out, MessageKind::list_reply, request);
  put_bytes(out, static_cast<std::uint32_t>(statuses.size()));
  for (const auto& s : statuses) {
    put_status(out, s);
  }
  return out;
}

std::vector<GraphStatus> decode_listing(std::string_view message) {
  ByteReader in = after_header(message);
  std::uint32_t count = 0;
  need(in.get_count(count, 16), "graph count");
  std::vector<GraphStatus> statuses(count);
  for (auto& s : statuses) {
    get_status(in, s);
  }
  need(in.at_end(), "trailing bytes");
  return statuses;
}

}  // namespace sluice::graph::detail
