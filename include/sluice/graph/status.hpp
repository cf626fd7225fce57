#pragma once
/// @file
/// sluice::graph::GraphStatus: what a running graph has done, from the client API.
///
/// Times are one clock (steady_clock of the process that runs the partition), in
/// microseconds, over the last `timing_window` iterations. The build counters are the
/// proof that a compiled graph is built once: after the graph is instantiated, they stay
/// constant while iterations run (in rebuild mode they grow by one per iteration).

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::graph {

/// Minimum, median and maximum of a series of durations, in microseconds.
struct Durations {
  double min_us = 0.0;
  double median_us = 0.0;
  double max_us = 0.0;
  std::uint64_t samples = 0;
};

/// One partition: the part of the graph one process runs.
struct PartitionStatus {
  int world_rank = 0;       ///< where it runs
  std::uint64_t tasks = 0;  ///< chunk tasks per iteration (leaf chunks, combines, outputs)
  Durations time;           ///< its work per iteration
};

struct GraphStatus {
  std::string name{};
  int root = -1;                         ///< the world rank that merges and outputs
  std::int64_t last_iteration = -1;      ///< the newest iteration completed
  std::uint64_t iterations = 0;          ///< iterations triggered (completed or failed)
  std::uint64_t failed_iterations = 0;   ///< iterations a user operator failed
  std::uint64_t skipped_iterations = 0;  ///< iterations some input will never have
  std::string last_error{};              ///< the message of the last failure
  std::int64_t last_error_iteration = -1;
  /// Why the graph ended before its inputs did, or empty: a partition stopped reading
  /// them (evicted by the producers' reader lease, ...). Its outputs stop there.
  std::string stopped_early{};
  std::uint64_t callbacks_dropped = 0;  ///< callback values not delivered (queue full)

  /// The work of an iteration: its slowest partition's pass plus the root's combine
  /// and outputs (waits for the inputs and messages are not in it).
  Durations iteration_time{};
  /// From the commit of the iteration by the last producer of its inputs to its outputs
  /// (steady_clock: one clock on one node; across nodes it includes their clock offset).
  Durations latency{};
  std::vector<PartitionStatus> partitions{};

  std::uint64_t bytes_pulled = 0;         ///< input bytes moved with MPI_Get, all iterations
  std::uint64_t messages = 0;             ///< messages between partitions, all iterations
  std::uint64_t tasks_per_iteration = 0;  ///< chunk tasks of all partitions

  // Build counters (see the file comment).
  std::uint64_t compilations = 0;   ///< descriptions validated and lowered
  std::uint64_t placements = 0;     ///< partitions assigned to processes
  std::uint64_t allocations = 0;    ///< buffers allocated (histories, accumulators, outputs)
  std::uint64_t subscriptions = 0;  ///< input subscriptions made
  std::uint64_t replans = 0;        ///< chunk plans made (again when steering moves a region)
};

}  // namespace sluice::graph
