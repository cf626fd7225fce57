#include "root.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "evaluate.hpp"
#include "sluice/core/log.hpp"

namespace sluice::graph::detail {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
// Iterations the root merges at once: partitions may run this far ahead of each other
// (the ranks of a simulation are coupled by their halo exchanges, so its producers, and
// the partitions reading them, stay within an iteration or two of each other).
constexpr std::size_t max_pending = 8;

}  // namespace

struct Root::Pending {
  std::int64_t iteration = -1;  // -1: free
  std::vector<bool> received;
  std::size_t count = 0;
  bool failed = false;
  std::string error;
  std::vector<double> scalars;
  std::int64_t committed_ns = 0;  // the latest commit of the inputs, over the partitions
  std::vector<Partial> partials;  // per partition, merged in partition order once all are in
  std::vector<std::unique_ptr<Accumulators>> accumulators;  // per domain
  std::vector<std::vector<double>> arrays;                  // per array output, whole
  double slowest_us = 0.0;
};

Root::Root(Template compiled, std::vector<PartitionPlace> partitions, channel::Producer& producer,
           OutputSink sink, std::size_t timing_window)
    : m_template(std::move(compiled)),
      m_places(std::move(partitions)),
      m_sink(std::move(sink)),
      m_ended(m_places.size(), false),
      m_timing_window(std::max<std::size_t>(timing_window, 1)) {
  m_status.name = m_template.name;
  m_times_us.reserve(m_timing_window);
  m_latency_us.reserve(m_timing_window);
  m_partition_us.assign(m_places.size(), {});
  for (auto& ring : m_partition_us) {
    ring.reserve(m_timing_window);
  }
  m_partition_counters.assign(m_places.size(), {});
  for (const auto& out : m_template.outputs) {
    if (out.stream.empty()) {
      m_outputs.push_back(nullptr);
      continue;
    }
    const auto& node = m_template.nodes[out.nodes.front()];
    if (node.shape.empty()) {
      m_outputs.push_back(&producer.expose_value_dtype(out.stream, node.dtype, out.options));
    } else {
      const channel::Layout layout{.global_shape = node.shape,
                                   .block_start = Extents(node.shape.size(), 0),
                                   .block_count = node.shape,
                                   .local_shape = {},
                                   .local_offset = {}};
      m_outputs.push_back(&producer.expose_dtype(
          out.stream, node.dtype, std::span<const channel::Layout>(&layout, 1), out.options));
    }
    ++m_root_allocations;
  }
  prepare();
}

Root::~Root() = default;

void Root::prepare() {
  const auto& nodes = m_template.nodes;
  m_values.assign(nodes.size(), Value{});
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    m_values[n].dtype = nodes[n].dtype;
    m_values[n].shape = nodes[n].shape;
    if (nodes[n].phase != Phase::block) {
      m_values[n].data.assign(static_cast<std::size_t>(product(nodes[n].shape)), nan);
    }
  }
  m_pending.clear();
  for (std::size_t p = 0; p < max_pending; ++p) {
    auto pending = std::make_unique<Pending>();
    pending->received.assign(m_places.size(), false);
    pending->partials.resize(m_places.size());
    for (const auto& domain : m_template.domains) {
      pending->accumulators.push_back(std::make_unique<Accumulators>(m_template, domain));
      for (auto id : domain.arrays) {
        pending->arrays.emplace_back(static_cast<std::size_t>(product(nodes[id].shape)), nan);
      }
    }
    m_pending.push_back(std::move(pending));
  }
  m_callback_values.assign(m_template.outputs.size(), {});
  std::size_t largest = 0;
  for (const auto& out : m_template.outputs) {
    largest = std::max(largest, static_cast<std::size_t>(product(nodes[out.nodes.front()].shape)));
  }
  m_staging.assign(largest * sizeof(double), 0);
  m_root_allocations += 2 + max_pending;
  ++m_status.placements;
}

void Root::rebuild(Template compiled) {
  m_template = std::move(compiled);
  ++m_root_compilations;
  prepare();
}

void Root::record_time(std::vector<double>& ring, double us) const {
  if (ring.size() < m_timing_window) {
    ring.push_back(us);
  } else {
    ring[m_finished % m_timing_window] = us;
  }
}

void Root::add(std::size_t partition, const Partial& partial) {
  if (partition >= m_places.size() || partial.iteration <= m_last_finished) {
    return;  // late: the iteration was dropped already
  }
  m_partition_counters[partition] = partial.counters;
  record_time(m_partition_us[partition], partial.time_us);
  Pending* pending = nullptr;
  for (auto& p : m_pending) {
    if (p->iteration == partial.iteration) {
      pending = p.get();
    }
  }
  if (pending == nullptr) {
    // A free slot, or the oldest iteration in flight, given up.
    Pending* oldest = nullptr;
    for (auto& p : m_pending) {
      if (p->iteration < 0) {
        pending = p.get();
        break;
      }
      if (oldest == nullptr || p->iteration < oldest->iteration) {
        oldest = p.get();
      }
    }
    if (pending == nullptr) {
      ++m_status.skipped_iterations;
      pending = oldest;
    }
    pending->iteration = partial.iteration;
    std::fill(pending->received.begin(), pending->received.end(), false);
    pending->count = 0;
    pending->failed = false;
    pending->error.clear();
    pending->slowest_us = 0.0;
    pending->committed_ns = 0;
    for (auto& accumulators : pending->accumulators) {
      for (auto& acc : accumulators->list) {
        acc.reset();
      }
    }
  }
  if (pending->received[partition]) {
    return;  // a duplicate
  }
  pending->received[partition] = true;
  ++pending->count;
  if (pending->count == 1) {
    pending->scalars = partial.scalars;
  }
  pending->slowest_us = std::max(pending->slowest_us, partial.time_us);
  pending->committed_ns = std::max(pending->committed_ns, partial.committed_ns);
  if (partial.failed) {
    if (!pending->failed) {
      pending->error = partial.error;
    }
    pending->failed = true;
  }
  // Kept, and merged in the order of the partitions once all are in: the results do not
  // depend on the order the partials arrive in (floating-point sums would).
  pending->partials[partition].reductions = partial.reductions;
  // The partition's part of each array output, box by box.
  std::size_t a = 0;
  for (std::size_t di = 0; di < m_template.domains.size(); ++di) {
    const auto& domain = m_template.domains[di];
    const auto shape = padded(domain.shape, 1);
    for (std::size_t k = 0; k < domain.arrays.size(); ++k, ++a) {
      if (a >= partial.arrays.size()) {
        break;
      }
      const auto& part = partial.arrays[a];
      auto& whole = pending->arrays[a];
      std::size_t at = 0;
      for (const auto& box : m_places[partition].ownership.boxes[di]) {
        const auto start = padded(box.start, 0);
        const auto count = padded(box.count, 1);
        for (std::int64_t i = 0; i < count[0]; ++i) {
          for (std::int64_t j = 0; j < count[1]; ++j) {
            const auto to = static_cast<std::size_t>(
                ((start[0] + i) * shape[1] + start[1] + j) * shape[2] + start[2]);
            const auto n = static_cast<std::size_t>(count[2]);
            if (at + n > part.size()) {
              break;
            }
            std::copy_n(part.begin() + static_cast<std::ptrdiff_t>(at), n,
                        whole.begin() + static_cast<std::ptrdiff_t>(to));
            at += n;
          }
        }
      }
    }
  }
  if (pending->count == m_places.size()) {
    for (const auto& from : pending->partials) {
      for (std::size_t di = 0; di < pending->accumulators.size() && di < from.reductions.size();
           ++di) {
        auto& list = pending->accumulators[di]->list;
        for (std::size_t r = 0; r < list.size() && r < from.reductions[di].size(); ++r) {
          list[r].merge(from.reductions[di][r]);
        }
      }
    }
    // Older iterations still in flight will not complete: a partition skipped them.
    for (auto& p : m_pending) {
      if (p->iteration >= 0 && p->iteration < pending->iteration) {
        p->iteration = -1;
        ++m_status.skipped_iterations;
      }
    }
    finish(*pending);
    pending->iteration = -1;
  }
}

void Root::finish(Pending& pending) {
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t iteration = pending.iteration;
  m_last_finished = iteration;
  ++m_status.iterations;
  m_status.last_iteration = iteration;
  bool failed = pending.failed;
  std::string error = pending.error;
  if (!failed) {
    try {
      for (std::size_t s = 0; s < m_template.scalar_order.size() && s < pending.scalars.size();
           ++s) {
        m_values[m_template.scalar_order[s]].data[0] = pending.scalars[s];
      }
      for (std::size_t di = 0; di < m_template.domains.size(); ++di) {
        const auto& accumulators = *pending.accumulators[di];
        for (auto id : m_template.domains[di].reductions) {
          accumulators.list[static_cast<std::size_t>(accumulators.of_node[id])].finish(
              m_template.nodes[id], m_values[id].data);
        }
      }
      for (auto id : m_template.reduced_order) {
        evaluate_small(m_template, id, m_values);
      }
      emit(iteration, pending);
    } catch (const std::exception& e) {
      failed = true;
      error = e.what();
    }
  }
  if (failed) {
    ++m_status.failed_iterations;
    m_status.last_error = error;
    m_status.last_error_iteration = iteration;
    log::warn("graph '", m_template.name, "' failed iteration ", iteration, ": ", error,
              " (the graph goes on with the next iteration)");
  }
  const double root_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
  record_time(m_times_us, pending.slowest_us + root_us);
  if (pending.committed_ns > 0) {
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    record_time(m_latency_us, static_cast<double>(now_ns - pending.committed_ns) / 1e3);
  }
  ++m_finished;
}

void Root::emit(std::int64_t iteration, const Pending& pending) {
  const auto& nodes = m_template.nodes;
  // A block node's whole array, as the partitions sent it.
  const auto array_of = [&](std::uint32_t id) -> const std::vector<double>& {
    std::size_t a = 0;
    for (const auto& domain : m_template.domains) {
      for (auto array : domain.arrays) {
        if (array == id) {
          return pending.arrays[a];
        }
        ++a;
      }
    }
    return m_values[id].data;
  };
  for (std::size_t o = 0; o < m_template.outputs.size(); ++o) {
    const TemplateOutput& out = m_template.outputs[o];
    if (m_outputs[o] != nullptr) {
      const auto id = out.nodes.front();
      const auto& data = nodes[id].phase == Phase::block ? array_of(id) : m_values[id].data;
      publish(*m_outputs[o], nodes[id].dtype, nodes[id].shape.empty(), iteration, data);
      continue;
    }
    auto& values = m_callback_values[o];
    values.resize(out.nodes.size());
    for (std::size_t v = 0; v < out.nodes.size(); ++v) {
      const auto id = out.nodes[v];
      values[v].dtype = nodes[id].dtype;
      values[v].shape = nodes[id].shape;
      const auto& data = nodes[id].phase == Phase::block ? array_of(id) : m_values[id].data;
      values[v].data.assign(data.begin(), data.end());
    }
    m_sink(o, iteration, values);
  }
}

void Root::publish(channel::Channel& channel, Dtype dtype, bool is_scalar, std::int64_t iteration,
                   const std::vector<double>& data) {
  visit_dtype(dtype, [&]<typename T>(std::type_identity<T>) {
    if (is_scalar) {
      channel.publish_value<T>(iteration, static_cast<T>(data[0]));
      return;
    }
    auto* buffer = reinterpret_cast<T*>(m_staging.data());
    for (std::size_t e = 0; e < data.size(); ++e) {
      buffer[e] = static_cast<T>(data[e]);
    }
    channel.publish<T>(iteration, buffer);
  });
}

void Root::update_counters(std::size_t partition, const PartitionCounters& counters) {
  if (partition < m_partition_counters.size()) {
    m_partition_counters[partition] = counters;
  }
}

void Root::partition_ended(std::size_t partition, std::string_view why) {
  if (partition < m_ended.size()) {
    m_ended[partition] = true;
  }
  if (!why.empty() && m_status.stopped_early.empty()) {
    m_status.stopped_early =
        "partition " + std::to_string(partition) +
        (partition < m_places.size()
             ? " (world rank " + std::to_string(m_places[partition].world_rank) + ")"
             : std::string()) +
        " stopped reading its inputs after iteration " + std::to_string(m_status.last_iteration) +
        ": " + std::string(why);
  }
  if (std::all_of(m_ended.begin(), m_ended.end(), [](bool e) { return e; })) {
    m_has_ended = true;
    close();
  }
}

void Root::close() {
  if (m_is_closed) {
    return;
  }
  m_is_closed = true;
  for (auto* out : m_outputs) {
    if (out != nullptr) {
      out->close();
    }
  }
}

namespace {

Durations durations_of(std::vector<double> times) {
  if (times.empty()) {
    return {};
  }
  std::sort(times.begin(), times.end());
  return {times.front(), times[times.size() / 2], times.back(), times.size()};
}

}  // namespace

GraphStatus Root::status() const {
  GraphStatus status = m_status;
  status.iteration_time = durations_of(m_times_us);
  status.latency = durations_of(m_latency_us);
  status.compilations = m_root_compilations;
  status.allocations = m_root_allocations;
  std::uint64_t partition_skips = 0;
  for (std::size_t p = 0; p < m_places.size(); ++p) {
    const auto& c = m_partition_counters[p];
    status.partitions.push_back({.world_rank = m_places[p].world_rank,
                                 .tasks = c.tasks,
                                 .time = durations_of(m_partition_us[p])});
    status.tasks_per_iteration += c.tasks;
    status.allocations += c.allocations;
    status.subscriptions += c.subscriptions;
    status.replans += c.replans;
    status.bytes_pulled += c.bytes_pulled;
    status.compilations = std::max(status.compilations, c.compilations);
    status.placements = std::max(status.placements, c.placements);
    partition_skips = std::max(partition_skips, c.skipped);
  }
  status.tasks_per_iteration += m_template.reduced_order.size() + m_template.outputs.size();
  status.skipped_iterations += partition_skips;
  return status;
}

}  // namespace sluice::graph::detail
