#pragma once
// Which summaries of a domain's pass are computed inside the loop of an elementwise
// node rather than in loops of their own.
//
// A tile's first loop over an input brings it in from memory; a summary (sum, mean, min,
// max, count over whole rows) of that input, of the other operand or of the result,
// computed in the same loop, costs little more than the loop alone, where a loop of its
// own would run after it, with the memory idle. Measured on heat2d's graph at 2048²
// (summary of T, mean of T - T.previous(), a histogram; both summaries fed by the
// subtraction), the two ways alternating in one process on a loaded 2-core machine:
// 6.8-7.0 ms of CPU per iteration without, 5.9-6.1 ms with (one memory pass: 2.6-2.8).
#include <cstdint>
#include <optional>
#include <vector>

#include "reduction.hpp"
#include "sluice/kernels/arithmetic.hpp"
#include "template.hpp"

namespace sluice::graph::detail {

// The accumulators (indices in Accumulators::list) an elementwise node feeds with the
// summaries of its operands and result; -1: none.
struct FusedSummaries {
  int x = -1;
  int y = -1;
  int out = -1;

  [[nodiscard]] bool any() const noexcept { return x >= 0 || y >= 0 || out >= 0; }
};

// The arithmetic kernel of an elementwise operation, if it has one.
[[nodiscard]] std::optional<kernels::Arithmetic> arithmetic_of(Op op) noexcept;

// Per template node, what it feeds (all none but for the domain's arithmetic nodes);
// `is_fed` (per accumulator) tells those fed this way, which the pass then skips. Each
// accumulator is fed once: by the first node of the program that reads or computes its
// operand.
[[nodiscard]] std::vector<FusedSummaries> plan_fused_summaries(const Template& compiled,
                                                               const Domain& domain,
                                                               const Accumulators& accumulators,
                                                               std::vector<bool>& is_fed);

}  // namespace sluice::graph::detail
