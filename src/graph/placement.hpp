#pragma once
// Where the parts of a compiled graph run (DESIGN.md §4 "Place"): the blocks a partition
// reads are grouped by producing process (a coarse key: one per producer, never one
// per task, the same for every graph and stream); a group goes to a scheduler on its producer's
// node, where it reads the blocks in place (chosen on a consistent-hash ring of that node's
// schedulers), or on the ring of all schedulers if its node has none. The root (the
// combine of the partials and the outputs) goes where the ring puts the graph's name.
// Each scheduler then runs one partition: every group placed on it. Deterministic: the
// same graph, streams and schedulers give the same placement everywhere.
#include <span>
#include <vector>

#include "sluice/channel/stream_info.hpp"
#include "sluice/runtime/runtime.hpp"
#include "template.hpp"
#include "wire.hpp"

namespace sluice::graph::detail {

[[nodiscard]] Placement place(const Template& compiled,
                              const std::vector<channel::StreamInfo>& streams,
                              std::span<const int> schedulers, const Runtime& runtime);

}  // namespace sluice::graph::detail
