#pragma once
// One run of a compiled graph in this process: its subscriptions, windows, buffers and
// chunk plans, made once; trigger() runs an iteration with them. Partition of a graph
// that runs whole in one process (the local executor).
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/channel/consumer.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/channel/step_group.hpp"
#include "sluice/graph/status.hpp"
#include "sluice/graph/value.hpp"
#include "template.hpp"

namespace sluice::graph::detail {

// The sum, extremes and counts of some elements (numpy's rules are applied at the end).
struct Moments {
  double sum = 0.0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::uint64_t count = 0;  // elements that are not NaN
  std::uint64_t nans = 0;

  void add(double x) noexcept;
  void merge(const Moments& other) noexcept;
};

// A part of a domain's array that every input of the domain holds in one block: the
// unit of leaf work.
struct Chunk {
  Extents start{};  // in the domain's array (3 dimensions, leading 1s)
  Extents count{};
  std::vector<int> view{};             // per domain input: which of its views
  std::vector<std::int64_t> offset{};  // per domain input: the chunk's first element there
};

// Where an input's data lies this iteration: a box of its selection's array.
struct View {
  const void* data = nullptr;
  Extents count{};    // 3 dimensions
  Extents strides{};  // elements, 3 dimensions
  Extents start{};    // in the selection's array, 3 dimensions
};

class Instance {
 public:
  Instance(Template compiled, const Graph& graph, channel::Consumer& consumer,
           channel::Producer& producer, std::size_t timing_window);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // The next iteration every input has, waiting up to `timeout`.
  [[nodiscard]] channel::GroupStep next(std::chrono::milliseconds timeout);
  // Runs the graph for `step` (ok). Returns false if the iteration failed.
  bool trigger(channel::GroupStep& step);
  // Replaces the template (rebuild mode: compiled again), re-allocating and re-planning
  // everything but the windows, subscriptions and derived streams.
  void rebuild(Template compiled);
  // Ends the subscriptions and the derived streams. Local; idempotent.
  void close();

  [[nodiscard]] GraphStatus status() const;
  [[nodiscard]] const std::string& name() const noexcept { return m_template.name; }

 private:
  struct InputState;
  struct DomainState;
  struct Accumulator;

  void subscribe(channel::Consumer& consumer);
  void expose(channel::Producer& producer);
  void prepare();
  void gather_views(channel::GroupStep& step);
  void plan(std::size_t domain);
  void run_domain(std::size_t domain, bool& failed);
  void run_chunk(DomainState& d, const Domain& domain, const Chunk& chunk, bool& failed);
  void finish_reductions(std::size_t domain);
  void evaluate(std::uint32_t node);
  void emit(std::int64_t iteration);
  void record_failure(std::int64_t iteration, const std::string& message);
  void publish(channel::Channel& channel, Dtype dtype, bool is_scalar, std::int64_t iteration,
               const std::vector<double>& data);

  Template m_template;
  std::vector<Callback> m_callbacks;
  std::vector<InputState> m_inputs;
  std::vector<DomainState> m_domains;
  std::vector<Value> m_values;  // per template node: scalar and reduced results
  std::unique_ptr<channel::StepGroup> m_group;
  std::vector<channel::Channel*> m_outputs;           // per template output: its stream, or null
  std::vector<std::vector<Value>> m_callback_values;  // per template output, reused
  std::vector<unsigned char> m_staging;               // a derived array in its dtype
  std::exception_ptr m_failure;                       // what failed this iteration
  GraphStatus m_status;
  std::vector<double> m_times_us;  // a ring of the last iterations' times
  std::size_t m_timing_window;
  bool m_is_closed = false;
};

}  // namespace sluice::graph::detail
