#pragma once
/// @file
/// sluice::graph::Executor: runs, in a scheduler process, the parts of graphs the
/// clients placed on it: partitions (the pass over the blocks on this node, read in
/// place) and roots (the combine of the partials and the outputs: derived streams
/// produced here, callback values sent to the client).
///
/// Instantiated once per graph when the client installs it; then per iteration only
/// the partials (a few numbers per reduction) and an iteration token move between
/// processes. sluice-scheduler polls it between directory requests:
///
/// @code
/// sluice::graph::Executor graphs(runtime);
/// scheduler.also_serve([&] { return graphs.poll(); }, [&] { return graphs.is_busy(); });
/// scheduler.serve_until_stopped();
/// @endcode
///
/// User operators (operators.hpp) must be registered in this process for a graph that
/// names them to be installed here. Not thread-safe; nothing is collective.

#include <memory>

#include "sluice/runtime/runtime.hpp"

namespace sluice::graph {

class Executor {
 public:
  /// Local; `runtime` must have started (Runtime::start) and outlive the executor.
  explicit Executor(const Runtime& runtime);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor();

  /// Handles the graph messages that arrived and runs every partition hosted here for
  /// the iterations ready. Returns whether anything was done. Never throws for what a
  /// peer sent (a malformed message is logged and dropped).
  bool poll();
  /// Whether a graph hosted here still runs (its inputs have not all ended).
  [[nodiscard]] bool is_busy() const;
  /// Graphs hosted here (partitions or roots), running or not.
  [[nodiscard]] std::size_t graphs() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace sluice::graph
