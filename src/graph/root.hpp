#pragma once
// The root of a graph: merges the partitions' partials of each iteration (the top of
// the combine tree), computes what follows the reductions and gives the outputs: it
// publishes the derived streams and hands callback values to a sink (the callback
// itself when the client runs the graph, a message to the client otherwise).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "partial.hpp"
#include "partition.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/graph/status.hpp"
#include "template.hpp"

namespace sluice::graph::detail {

using OutputSink =
    std::function<void(std::size_t output, std::int64_t iteration, std::span<const Value> values)>;

// Where a partition runs and what it owns.
struct PartitionPlace {
  int world_rank = 0;
  Ownership ownership;
};

class Root {
 public:
  // Exposes the derived streams with `producer` (which must outlive the root).
  Root(Template compiled, std::vector<PartitionPlace> partitions, channel::Producer& producer,
       OutputSink sink, std::size_t timing_window);
  ~Root();
  Root(const Root&) = delete;
  Root& operator=(const Root&) = delete;

  // Partition `partition`'s partial of an iteration; the iteration is finished once every
  // partition's is in. An iteration left incomplete when a later one completes (a
  // partition never had it) is dropped and counted as skipped.
  void add(std::size_t partition, const Partial& partial);
  // The partition's latest counters, outside a partial: what it did after the last
  // iteration it ran (iterations skipped since, at the end of its inputs) is in the
  // status too.
  void update_counters(std::size_t partition, const PartitionCounters& counters);
  // The partition's inputs ended, or it stopped reading them (`why`, not empty: the
  // graph ends early, said in its status); once all partitions ended, the derived
  // streams end.
  void partition_ended(std::size_t partition, std::string_view why = {});
  [[nodiscard]] bool has_ended() const noexcept { return m_has_ended; }
  // Compiled again (rebuild mode).
  void rebuild(Template compiled);
  // Ends the derived streams. Local; idempotent.
  void close();

  [[nodiscard]] GraphStatus status() const;

 private:
  struct Pending;

  void prepare();
  void finish(Pending& pending);
  void emit(std::int64_t iteration, const Pending& pending);
  void publish(channel::Channel& channel, Dtype dtype, bool is_scalar, std::int64_t iteration,
               const std::vector<double>& data);
  void record_time(std::vector<double>& ring, double us) const;

  Template m_template;
  std::vector<PartitionPlace> m_places;
  OutputSink m_sink;
  std::vector<std::unique_ptr<Pending>> m_pending;  // a few iterations in flight
  std::vector<Value> m_values;
  std::vector<channel::Channel*> m_outputs;           // per output: its stream, or null
  std::vector<std::vector<Value>> m_callback_values;  // per output, reused
  std::vector<unsigned char> m_staging;               // a derived array in its dtype
  std::vector<bool> m_ended;
  bool m_has_ended = false;
  bool m_is_closed = false;
  std::int64_t m_last_finished = -1;

  // Status.
  GraphStatus m_status;
  std::size_t m_timing_window;
  std::uint64_t m_finished = 0;
  std::vector<double> m_times_us;                   // per finished iteration
  std::vector<double> m_latency_us;                 // per finished iteration
  std::vector<std::vector<double>> m_partition_us;  // per partition
  std::vector<PartitionCounters> m_partition_counters;
  std::uint64_t m_root_allocations = 0;
  std::uint64_t m_root_compilations = 1;
};

}  // namespace sluice::graph::detail
