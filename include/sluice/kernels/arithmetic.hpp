#pragma once
/// @file
/// Elementwise arithmetic of two double arrays that summarises, in the same pass, the
/// operands and the result it is asked for.
///
/// A stream graph computes `T - T.previous()` and then the mean of it, and the summary of
/// T: done one after the other, each is a short loop over the same elements, and the
/// first one, which brings T and the previous values in from memory, has nothing to do
/// while it waits for them. Done here in one loop, the summaries are computed while the
/// loads are in flight.
///
/// `out[i] = x[i] op y[i]` is the IEEE operation on the two doubles (the same result as a
/// plain loop, on every Isa). The summaries follow summary() (reduce.hpp): NaN elements
/// are skipped, sums are accumulated in vector lanes (so they agree with a plain loop to
/// rounding, not bit for bit), min, max and count are exact. Each summary asked for is
/// merged into the one given, as Summary::merge does: the rows of a block can be
/// summarised into one.
///
/// @code
/// // The change since the previous iteration, its summary and that of the current values:
/// sluice::kernels::Summary<double> now, change;
/// sluice::kernels::arithmetic(sluice::kernels::Arithmetic::subtract, current, previous,
///                             difference, {.x = &now, .out = &change});
/// @endcode
///
/// Every function is thread-safe (concurrent calls must not share the summaries or `out`)
/// and not collective.

#include <span>

#include "sluice/kernels/isa.hpp"
#include "sluice/kernels/reduce.hpp"

namespace sluice::kernels {

/// The operation of arithmetic().
enum class Arithmetic { add, subtract, multiply, divide };

/// The summaries arithmetic() computes: a null pointer is one not asked for. The same
/// summary may not be given twice.
struct ArithmeticSummaries {
  Summary<double>* x = nullptr;
  Summary<double>* y = nullptr;
  Summary<double>* out = nullptr;
};

/// out[i] = x[i] op y[i] for every i, and the summaries asked for, merged into them.
/// x, y and out must have the same size (else InvalidArgument); out may be x or y itself,
/// but no other overlap is allowed. The overload taking an Isa throws InvalidArgument if
/// it is not in available_isas().
void arithmetic(Arithmetic op, std::span<const double> x, std::span<const double> y,
                std::span<double> out, const ArithmeticSummaries& summaries);
void arithmetic(Arithmetic op, std::span<const double> x, std::span<const double> y,
                std::span<double> out, const ArithmeticSummaries& summaries, Isa isa);

}  // namespace sluice::kernels
