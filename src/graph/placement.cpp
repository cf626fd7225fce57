#include "placement.hpp"

#include <algorithm>
#include <map>

#include "sluice/core/error.hpp"
#include "sluice/ring/hash_ring.hpp"

namespace sluice::graph::detail {

Placement place(const Template& compiled, const std::vector<channel::StreamInfo>& streams,
                std::span<const int> schedulers, const Runtime& runtime) {
  if (schedulers.empty()) {
    throw StateError("placing graph '" + compiled.name + "'", "the job has no scheduler",
                     "run the graph in the client, or start sluice-scheduler in the job");
  }
  ring::HashRing all;
  std::map<int, ring::HashRing> of_node;  // the schedulers of each node
  for (int s : schedulers) {
    all.add(s);
    of_node[runtime.node_of(s)].add(s);
  }
  Placement placement;
  placement.root = all.owner("graph/" + compiled.name);
  // Per scheduler, per domain: the boxes it owns.
  std::map<int, std::vector<std::vector<Box>>> owned;
  for (std::size_t di = 0; di < compiled.domains.size(); ++di) {
    const Domain& domain = compiled.domains[di];
    const Input& primary = compiled.inputs[static_cast<std::size_t>(domain.inputs.front())];
    const auto info = std::find_if(streams.begin(), streams.end(),
                                   [&](const auto& s) { return s.name == primary.stream; });
    if (info == streams.end()) {
      throw NotFound("placing graph '" + compiled.name + "'",
                     "stream '" + primary.stream + "' is not in the job any more", "");
    }
    for (const auto& block : info->producers) {
      const SelectionPart part = part_in(primary.selection, block.layout.block());
      if (part.empty() || product(part.count) == 0) {
        continue;
      }
      // The key names the producer, not the graph or the stream: every graph reads a
      // producer's blocks, of all its streams, on the same scheduler, so that the
      // partitions of a graph see the same iterations of the same streams.
      const std::string key = "producer/" + std::to_string(block.world_rank);
      const auto local = of_node.find(runtime.node_of(block.world_rank));
      const int owner = local != of_node.end() ? local->second.owner(key) : all.owner(key);
      auto& boxes = owned[owner];
      boxes.resize(compiled.domains.size());
      boxes[di].push_back({part.result_start, part.count});
    }
  }
  for (auto& [rank, boxes] : owned) {
    placement.partitions.push_back({rank, Ownership{std::move(boxes)}});
  }
  if (placement.partitions.empty()) {
    // Nothing but single values: the root's scheduler reads them.
    placement.partitions.push_back(
        {placement.root, Ownership{std::vector<std::vector<Box>>(compiled.domains.size())}});
  }
  return placement;
}

}  // namespace sluice::graph::detail
