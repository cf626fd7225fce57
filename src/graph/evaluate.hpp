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
// CPU ms per iteration with the summaries fed in the subtraction's loop (fusion.hpp), the
// sizes alternating in one process: 128: 6.9, 256: 5.2-5.3, 384: 5.2, 512: 5.9-6.0,
// 1024: 6.9, 2048: 6.2. Smaller tiles let the memory stream while the previous tile is
// computed, smaller still cost per tile. (Before that fusion: 256: 6.4, 512: 6.2.)
inline constexpr std::size_t tile_elements = 256;

// One elementwise operation (add ... map) over n elements of its operands `a`.
void apply(const TemplateNode& node, const double* const* a, double* out, std::size_t n);

// Node `id` of the scalar or reduced phase from the values of its operands (scalars
// broadcast over arrays); not for inputs.
void evaluate_small(const Template& compiled, std::uint32_t id, std::vector<Value>& values);

// Calls each(i, j, k, n) for the runs of at most tile_elements elements of the rows of a
// box of `count` (3-D).
template <typename Count, typename Each>
void for_each_tile(const Count& count, Each each) {
  for (std::int64_t i = 0; i < count[0]; ++i) {
    for (std::int64_t j = 0; j < count[1]; ++j) {
      for (std::int64_t k = 0; k < count[2]; k += static_cast<std::int64_t>(tile_elements)) {
        each(i, j, k,
             static_cast<std::size_t>(
                 std::min<std::int64_t>(static_cast<std::int64_t>(tile_elements), count[2] - k)));
      }
    }
  }
}

}  // namespace sluice::graph::detail
