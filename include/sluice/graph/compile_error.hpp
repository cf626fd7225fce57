#pragma once
/// @file
/// sluice::graph::CompileError: a graph that cannot run, found before anything runs.
///
/// Every check of the compiler throws one, with the kind of problem, the node it is
/// about (its index, operation and label) and a message saying what to change:
///
/// @code
/// try {
///   client.submit(g);
/// } catch (const sluice::graph::CompileError& e) {
///   if (e.kind() == sluice::graph::CompileError::Kind::unknown_stream) ...
///   std::fprintf(stderr, "%s\n", e.what());
///   // compiling graph 'heat2d', node 3 (stream 'temperatur'): the job has no stream of
///   // that name; its streams are: temperature, time (check the name)
/// }
/// @endcode

#include <cstdint>
#include <string>

#include "sluice/core/error.hpp"

namespace sluice::graph {

class CompileError : public InvalidArgument {
 public:
  enum class Kind {
    unknown_stream,    ///< no stream of that name in the job
    not_a_value,       ///< value() of an array stream, or stream() of a single value
    bad_selection,     ///< a selection or slice outside the array
    dtype_mismatch,    ///< operands of different dtypes (cast one)
    shape_mismatch,    ///< arrays of different shapes in one elementwise operation
    window_too_deep,   ///< previous(n) beyond what the graph keeps
    unknown_operator,  ///< map/reduce of a name nobody registered
    bad_argument,      ///< axes, histogram range, bins, output names
    unsupported,       ///< valid, but not something this version runs
  };

  CompileError(Kind kind, std::int64_t node, std::string asked, std::string problem,
               std::string remedy)
      : InvalidArgument(asked, problem, remedy), m_kind(kind), m_node(node) {}

  [[nodiscard]] Kind kind() const noexcept { return m_kind; }
  /// The node's index in Graph::nodes(), or -1 for the graph as a whole.
  [[nodiscard]] std::int64_t node() const noexcept { return m_node; }

 private:
  Kind m_kind;
  std::int64_t m_node;
};

}  // namespace sluice::graph
