#pragma once
/// @file
/// Reductions of float and double arrays: sum, min, max, count, and all four in one pass.
///
/// **NaN elements are skipped by every reduction.** count() is the number of elements
/// that are not NaN, so `data.size() - count(data)` is the number of NaNs (the usual
/// sign that a simulation has diverged); sum() adds the other elements, min() and max()
/// ignore NaNs. Skipping them everywhere keeps `summary(data).mean()` the mean of the
/// valid values. Infinities are ordinary values: they win min and max, and a sum that
/// meets both +inf and -inf is NaN.
///
/// **Empty input** (or input that is all NaN): sum 0, count 0, min +inf, max -inf, so
/// that results of several blocks combine with Summary::merge without special cases.
///
/// **Sums are accumulated in double**, for float input too (a float accumulator stops
/// growing at 2^24 when adding ones). The vector versions keep several partial sums
/// (one per lane of four accumulators) and add them at the end, so the order of the
/// additions differs from a left-to-right loop, and from one Isa to another: results
/// agree to rounding, each within n·ε·Σ|x| of the exact sum (ε = 2^-53), not bit for
/// bit. min, max and count are exact and identical on every Isa (with one harmless
/// exception: when both -0.0 and +0.0 are present, which zero min or max returns).
///
/// @code
/// const std::vector<double> temperature = ...;
/// const auto s = sluice::kernels::summary(std::span<const double>(temperature));
/// std::printf("mean %g, min %g, max %g\n", s.mean(), s.min, s.max);
/// @endcode
///
/// **Strided blocks** (strided_block.hpp): every reduction also takes one StridedBlock,
/// or a span of them (the parts of a step read in place), and reads them where they are.
/// Rows with stride 1 run the vector code; other strides run the scalar reference. The
/// result over several blocks is that of their elements taken together: sums and counts
/// add, extremes compare, exactly as Summary::merge combines blocks. A contiguous span is
/// the case of one 1-D block.
///
/// @code
/// // The parts of a step read in place, without assembling a copy:
/// std::vector<sluice::kernels::StridedBlock<const double>> blocks;
/// for (const auto& view : step.blocks()) {
///   blocks.emplace_back(static_cast<const double*>(view.data), view.count, view.strides);
/// }
/// const auto s = sluice::kernels::summary(std::span(blocks));
/// @endcode
///
/// Every function is thread-safe (no shared state; concurrent calls on the same data
/// are fine) and not collective. Overloads without an Isa run best_isa(); those taking
/// one throw sluice::InvalidArgument if it is not in available_isas().

#include <cstdint>
#include <limits>
#include <span>

#include "sluice/kernels/isa.hpp"
#include "sluice/kernels/strided_block.hpp"

namespace sluice::kernels {

/// Sum, min, max and count of an array in one pass; the fields mean what sum(), min(),
/// max() and count() return.
template <typename T>
struct Summary {
  /// The sum of the elements that are not NaN, accumulated in double.
  double sum = 0.0;
  /// The smallest element that is not NaN; +inf if there is none.
  T min = std::numeric_limits<T>::infinity();
  /// The largest element that is not NaN; -inf if there is none.
  T max = -std::numeric_limits<T>::infinity();
  /// The number of elements that are not NaN.
  std::uint64_t count = 0;

  /// sum / count; NaN when count is 0.
  [[nodiscard]] double mean() const noexcept {
    return count == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(count);
  }

  /// Combines the summary of another block into this one, e.g. the blocks of one rank
  /// or, after gathering, of all ranks.
  void merge(const Summary& other) noexcept {
    sum += other.sum;
    min = other.min < min ? other.min : min;
    max = other.max > max ? other.max : max;
    count += other.count;
  }
};

/// The sum of the elements that are not NaN, accumulated in double; 0 if there is none.
[[nodiscard]] double sum(std::span<const float> data) noexcept;
[[nodiscard]] double sum(std::span<const double> data) noexcept;
[[nodiscard]] double sum(std::span<const float> data, Isa isa);
[[nodiscard]] double sum(std::span<const double> data, Isa isa);

/// The smallest element that is not NaN; +inf if there is none.
[[nodiscard]] float min(std::span<const float> data) noexcept;
[[nodiscard]] double min(std::span<const double> data) noexcept;
[[nodiscard]] float min(std::span<const float> data, Isa isa);
[[nodiscard]] double min(std::span<const double> data, Isa isa);

/// The largest element that is not NaN; -inf if there is none.
[[nodiscard]] float max(std::span<const float> data) noexcept;
[[nodiscard]] double max(std::span<const double> data) noexcept;
[[nodiscard]] float max(std::span<const float> data, Isa isa);
[[nodiscard]] double max(std::span<const double> data, Isa isa);

/// The number of elements that are not NaN.
[[nodiscard]] std::uint64_t count(std::span<const float> data) noexcept;
[[nodiscard]] std::uint64_t count(std::span<const double> data) noexcept;
[[nodiscard]] std::uint64_t count(std::span<const float> data, Isa isa);
[[nodiscard]] std::uint64_t count(std::span<const double> data, Isa isa);

/// Sum, min, max and count in one pass over the data: cheaper than the four calls once
/// the array does not fit in cache.
[[nodiscard]] Summary<float> summary(std::span<const float> data) noexcept;
[[nodiscard]] Summary<double> summary(std::span<const double> data) noexcept;
[[nodiscard]] Summary<float> summary(std::span<const float> data, Isa isa);
[[nodiscard]] Summary<double> summary(std::span<const double> data, Isa isa);

/// The strided forms: one block, or the elements of several taken together.
template <typename T>
using Blocks = std::span<const StridedBlock<const T>>;

[[nodiscard]] double sum(StridedBlock<const float> block) noexcept;
[[nodiscard]] double sum(StridedBlock<const double> block) noexcept;
[[nodiscard]] double sum(Blocks<float> blocks) noexcept;
[[nodiscard]] double sum(Blocks<double> blocks) noexcept;
[[nodiscard]] double sum(Blocks<float> blocks, Isa isa);
[[nodiscard]] double sum(Blocks<double> blocks, Isa isa);

[[nodiscard]] float min(StridedBlock<const float> block) noexcept;
[[nodiscard]] double min(StridedBlock<const double> block) noexcept;
[[nodiscard]] float min(Blocks<float> blocks) noexcept;
[[nodiscard]] double min(Blocks<double> blocks) noexcept;
[[nodiscard]] float min(Blocks<float> blocks, Isa isa);
[[nodiscard]] double min(Blocks<double> blocks, Isa isa);

[[nodiscard]] float max(StridedBlock<const float> block) noexcept;
[[nodiscard]] double max(StridedBlock<const double> block) noexcept;
[[nodiscard]] float max(Blocks<float> blocks) noexcept;
[[nodiscard]] double max(Blocks<double> blocks) noexcept;
[[nodiscard]] float max(Blocks<float> blocks, Isa isa);
[[nodiscard]] double max(Blocks<double> blocks, Isa isa);

[[nodiscard]] std::uint64_t count(StridedBlock<const float> block) noexcept;
[[nodiscard]] std::uint64_t count(StridedBlock<const double> block) noexcept;
[[nodiscard]] std::uint64_t count(Blocks<float> blocks) noexcept;
[[nodiscard]] std::uint64_t count(Blocks<double> blocks) noexcept;
[[nodiscard]] std::uint64_t count(Blocks<float> blocks, Isa isa);
[[nodiscard]] std::uint64_t count(Blocks<double> blocks, Isa isa);

[[nodiscard]] Summary<float> summary(StridedBlock<const float> block) noexcept;
[[nodiscard]] Summary<double> summary(StridedBlock<const double> block) noexcept;
[[nodiscard]] Summary<float> summary(Blocks<float> blocks) noexcept;
[[nodiscard]] Summary<double> summary(Blocks<double> blocks) noexcept;
[[nodiscard]] Summary<float> summary(Blocks<float> blocks, Isa isa);
[[nodiscard]] Summary<double> summary(Blocks<double> blocks, Isa isa);

}  // namespace sluice::kernels
