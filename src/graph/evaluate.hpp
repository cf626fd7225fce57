#pragma once
// Elementwise operations, and the evaluation of the small values of a graph (scalars and
// the results of reductions): shared by the pass over the blocks and the root.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sluice/graph/value.hpp"
#include "template.hpp"

namespace sluice::graph::detail {

// Elements of a row computed together: the tile of every node stays in L1. Measured on
// heat2d's graph at 2048² (bench/graph/bm_graph_heat2d: a window, summary, histogram),
// CPU ms per iteration, the sizes alternating in one process. Before summaries were fed
// in arithmetic loops (fusion.hpp): 128: 7.5, 256: 6.4, 512: 6.2, 1024: 7.9. The same
// graph without the window (a summary and a histogram, no arithmetic) costs 23% more
// with tiles of 256 than of 512: the per-tile costs of the kernels' calls.
inline constexpr std::size_t tile_elements = 512;

// The tile of a domain whose pass feeds summaries in an arithmetic node's loop, which
// brings the inputs in from memory while it computes: shorter tiles alternate it more
// finely with the loops that only compute (the histogram). heat2d's graph, as above:
// 128: 6.9, 256: 5.2-5.3, 384: 5.2, 512: 5.9-6.0, 1024: 6.9, 2048: 6.2.
inline constexpr std::size_t fused_tile_elements = 256;
static_assert(fused_tile_elements <= tile_elements, "registers hold tile_elements");

// One elementwise operation (add ... map) over n elements of its operands `a`.
void apply(const TemplateNode& node, const double* const* a, double* out, std::size_t n);

// Node `id` of the scalar or reduced phase from the values of its operands (scalars
// broadcast over arrays); not for inputs.
void evaluate_small(const Template& compiled, std::uint32_t id, std::vector<Value>& values);

// Calls each(i, j, k, n) for the runs of at most `tile` elements of the rows of a box of
// `count` (3-D).
template <typename Count, typename Each>
void for_each_tile(const Count& count, Each each, std::size_t tile = tile_elements) {
  const auto step = static_cast<std::int64_t>(tile);
  for (std::int64_t i = 0; i < count[0]; ++i) {
    for (std::int64_t j = 0; j < count[1]; ++j) {
      for (std::int64_t k = 0; k < count[2]; k += step) {
        each(i, j, k, static_cast<std::size_t>(std::min<std::int64_t>(step, count[2] - k)));
      }
    }
  }
}

}  // namespace sluice::graph::detail
