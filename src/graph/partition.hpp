#pragma once
// A partition of a graph: the part of the pass over the blocks one process runs, for the
// boxes of each domain it owns (all of them when the graph runs in one process). It
// subscribes to the bounding box of its boxes, keeps its windows, plans its chunks
// (the common refinement of the inputs' blocks and its boxes) and allocates once; each
// iteration it runs the pass and fills a Partial for the root.
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "partial.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/step_group.hpp"
#include "template.hpp"

namespace sluice::graph::detail {

// The boxes of each domain's array a partition computes.
struct Ownership {
  std::vector<std::vector<Box>> boxes;  // per domain; empty: none of it

  // Every box of every domain: the graph in one partition.
  [[nodiscard]] static Ownership everything(const Template& compiled);
};

class Partition {
 public:
  Partition(Template compiled, Ownership ownership, channel::Consumer& consumer);
  ~Partition();
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  // The next iteration every input has, waiting up to `timeout`.
  [[nodiscard]] channel::GroupStep next(std::chrono::milliseconds timeout);
  // Runs the pass for `step` (ok) into `out`, whose buffers are reused.
  void run(channel::GroupStep& step, Partial& out);
  // Compiled again (rebuild mode): re-allocates and re-plans all but windows and
  // subscriptions.
  void rebuild(Template compiled);
  // Ends the subscriptions. Local; idempotent.
  void close();

  [[nodiscard]] PartitionCounters counters() const;

 private:
  struct InputState;
  struct DomainState;

  void subscribe(channel::Consumer& consumer);
  void prepare();
  void gather_views(channel::GroupStep& step);
  void plan(std::size_t domain);
  void run_domain(std::size_t domain, bool& failed);
  void apply_summarised(DomainState& d, const TemplateNode& node,
                        const struct FusedSummaries& fused, const double* const* args, double* out,
                        std::size_t n, const std::array<std::int64_t, 3>& at);
  void run_chunk(DomainState& d, const Domain& domain, const struct Chunk& chunk, bool& failed);
  void store_tile(DomainState& d, const struct Chunk& chunk, std::int64_t i, std::int64_t j,
                  std::int64_t k, std::size_t n, std::size_t index);
  void pack(Partial& out) const;

  Template m_template;
  Ownership m_ownership;
  std::vector<InputState> m_inputs;
  std::vector<DomainState> m_domains;
  std::vector<Value> m_values;  // scalar-phase values
  std::unique_ptr<channel::StepGroup> m_group;
  std::exception_ptr m_failure;
  PartitionCounters m_counters;
  bool m_is_closed = false;
};

}  // namespace sluice::graph::detail
