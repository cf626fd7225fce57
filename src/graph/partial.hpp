#pragma once
// What a partition sends the root for one iteration: the partials of the reductions
// over its blocks, its part of the arrays an output needs whole, the scalars, and how
// it went. The only thing that moves between the processes of a graph per iteration,
// with the iteration (the token).
#include <cstdint>
#include <string>
#include <vector>

#include "reduction.hpp"

namespace sluice::graph::detail {

// Build counters of a partition (constant once it runs, but in rebuild mode).
struct PartitionCounters {
  std::uint64_t allocations = 0;
  std::uint64_t subscriptions = 0;
  std::uint64_t replans = 0;
  std::uint64_t compilations = 0;
  std::uint64_t placements = 0;  // a rebuilt partition is placed again too
  std::uint64_t tasks = 0;       // chunks of its pass
  std::uint64_t bytes_pulled = 0;
  std::uint64_t skipped = 0;  // iterations some input never had
};

struct Partial {
  std::int64_t iteration = -1;
  bool failed = false;
  std::string error;
  std::vector<double> scalars;                         // per Template::scalar_order
  std::vector<std::vector<ReductionData>> reductions;  // per domain, per accumulator
  std::vector<std::vector<double>> arrays;             // per domain and array output: owned boxes
  double time_us = 0.0;                                // the partition's work
  std::int64_t committed_ns = 0;  // when the last producer committed its inputs (steady_clock)
  PartitionCounters counters;
};

}  // namespace sluice::graph::detail
