#pragma once
/// @file
/// Histograms of float and double arrays over a fixed range of equal-width bins.
///
/// With `spec = {lo, hi, bins}`, an element x in [lo, hi] falls into bin
///
///     floor((x - lo) / (hi - lo) * bins)
///
/// evaluated in the element type (for float data, lo and hi are first rounded to float),
/// and the result `bins` (x == hi, or x just below hi rounded up) goes to the last bin.
/// So every bin is closed on the left and open on the right, except the last, which is
/// closed on both sides. Elements outside [lo, hi], infinities and NaNs are not counted.
///
/// Counts are exactly those of that formula evaluated element by element, on every Isa:
/// the vector versions perform the same IEEE operations in the same order (no reciprocal,
/// no fused multiply-add), so no element near a bin edge lands in a different bin.
///
/// @code
/// // heat2d: 16 bins of 6.25 degrees over [0, 100]
/// const sluice::kernels::HistogramSpec spec{0.0, 100.0, 16};
/// std::vector<std::uint64_t> counts(spec.bins);
/// for (const auto& block : local_blocks) {
///   sluice::kernels::histogram(block, spec, counts);  // adds to counts
/// }
/// @endcode
///
/// Every function is thread-safe (concurrent calls must not share `counts`) and not
/// collective.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sluice/kernels/isa.hpp"
#include "sluice/kernels/strided_block.hpp"

namespace sluice::kernels {

/// The most bins a histogram may have: bin indices are computed in float for float data,
/// which counts exactly up to 2^24.
inline constexpr std::size_t max_histogram_bins = std::size_t{1} << 24;

/// `bins` equal-width bins over the closed range [lo, hi].
struct HistogramSpec {
  double lo = 0.0;
  double hi = 1.0;
  std::size_t bins = 1;
};

/// Adds the histogram of `data` to `counts`, which must have spec.bins elements. Adding
/// rather than overwriting lets the blocks of a rank (or successive steps) accumulate
/// into one histogram; zero `counts` first for a fresh one.
///
/// Throws sluice::InvalidArgument if lo or hi is not finite, lo >= hi, hi - lo overflows
/// the element type, bins is 0 or above max_histogram_bins, counts has the wrong size,
/// or (overloads taking one) `isa` is not in available_isas().
void histogram(std::span<const float> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts);
void histogram(std::span<const double> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts);
void histogram(std::span<const float> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa);
void histogram(std::span<const double> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa);

/// The same over strided blocks (strided_block.hpp), read where they are: one block, or
/// several added together. Rows with stride 1 run the vector code, others the scalar
/// reference; the counts are the same either way. Throws like the overloads above.
void histogram(StridedBlock<const float> block, const HistogramSpec& spec,
               std::span<std::uint64_t> counts);
void histogram(StridedBlock<const double> block, const HistogramSpec& spec,
               std::span<std::uint64_t> counts);
void histogram(std::span<const StridedBlock<const float>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts);
void histogram(std::span<const StridedBlock<const double>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts);
void histogram(std::span<const StridedBlock<const float>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa);
void histogram(std::span<const StridedBlock<const double>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa);

/// The histogram of `data` as a new vector of spec.bins counts. Throws like the
/// overloads above.
[[nodiscard]] std::vector<std::uint64_t> histogram(std::span<const float> data,
                                                   const HistogramSpec& spec);
[[nodiscard]] std::vector<std::uint64_t> histogram(std::span<const double> data,
                                                   const HistogramSpec& spec);

}  // namespace sluice::kernels
