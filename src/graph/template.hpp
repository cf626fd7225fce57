#pragma once
// A compiled graph: the description checked against the job's streams and lowered to
// what runs per iteration. Immutable once made (an instance holds the per-run state).
//
// Lowering pushes slices down to the inputs (a slice of T - T.previous() reads the
// sliced part of both), so that every array node of the template is an elementwise
// function of inputs of one shape: its **domain**. A domain runs as one pass over the
// chunks of its inputs (the common refinement of their blocks), a tile of a row at a
// time, computing every array node, every reduction and every array output that reads
// it while the tile is in cache.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/channel/stream_info.hpp"
#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/graph/operators.hpp"

namespace sluice::graph::detail {

/// When a node is computed in an iteration.
enum class Phase : std::uint8_t {
  scalar,   // from single-value streams and constants, before the pass over the blocks
  block,    // elementwise over the blocks, in the pass
  reduced,  // after the reductions
};

/// One subscription of the graph: a stream and a selection.
struct Input {
  std::string stream{};
  Selection selection{};  // normalized, in the stream's global coordinates
  Dtype dtype = Dtype::f64;
  bool is_value = false;
  int depth = 0;    // how many earlier iterations the graph keeps (its deepest lag)
  int domain = -1;  // arrays: the domain reading it
};

struct TemplateNode {
  Op op = Op::constant;
  std::vector<std::uint32_t> args{};  // template node indices
  Phase phase = Phase::scalar;
  Dtype dtype = Dtype::f64;
  Extents shape{};           // empty: a scalar
  std::int64_t source = -1;  // the description's node it came from
  std::string what{};        // "node 3 (add 'dT')", for errors at run time
  // stream/value inputs
  int input = -1;
  int lag = 0;
  // constants; histogram lo
  double constant = 0.0;
  double upper = 0.0;
  std::int64_t bins = 0;
  std::vector<int> axes{};  // reductions, sorted (all axes when the description said none)
  Selection selection{};    // slices in the reduced phase
  std::optional<MapFunction> map{};
  std::optional<ReductionFunctions> reduction{};
  int domain = -1;  // block nodes and the reductions of block nodes
};

/// Elementwise work over one shape.
struct Domain {
  Extents shape{};
  std::vector<int> inputs{};                // Input indices read in the pass
  std::vector<std::uint32_t> program{};     // block nodes, in evaluation order
  std::vector<std::uint32_t> reductions{};  // reductions (and histograms) of block nodes
  std::vector<std::uint32_t> arrays{};      // block nodes an output needs whole
};

struct TemplateOutput {
  std::string stream{};  // empty: a callback
  std::vector<std::uint32_t> nodes{};
  std::size_t callback = 0;
  channel::ChannelOptions options{};
};

struct Template {
  std::string name{};
  std::vector<TemplateNode> nodes{};
  std::vector<Input> inputs{};
  std::vector<Domain> domains{};
  std::vector<std::uint32_t> scalar_order{};   // scalar-phase nodes, in order
  std::vector<std::uint32_t> reduced_order{};  // reduced-phase nodes that are not reductions
  std::vector<TemplateOutput> outputs{};
  std::uint64_t tasks = 0;  // chunk tasks per iteration, once planned (status)
};

/// The elements `outer` selects of the elements `inner` selects, as one selection of
/// the array `inner` selects from (both normalized; outer relative to inner's result).
[[nodiscard]] Selection compose(const Selection& inner, const Selection& outer);

/// The deepest window a graph keeps, in iterations (each costs a copy of the selection).
inline constexpr int max_window = 16;

/// Checks `graph` against `streams` and lowers it. Throws CompileError.
/// `is_new` says that the graph's derived streams must not exist yet (a submission);
/// false when the graph is compiled again (rebuild mode, or by each scheduler that
/// runs a part of it), once they may.
[[nodiscard]] Template compile(const Graph& graph, const std::vector<channel::StreamInfo>& streams,
                               bool is_new = true);

}  // namespace sluice::graph::detail
