#pragma once
/// @file
/// One pass over an iteration's field for everything a monitoring client usually wants:
/// sum / min / max / count (as summary()), a histogram (as histogram()), and the change
/// since the previous iteration's values of the same cells, optionally keeping the
/// current values as the next iteration's "previous" while reading them.
///
/// Done with the separate kernels, that is four passes over memory (summary, histogram,
/// the differences, a copy of the field for next time); for a field that does not fit in
/// cache the fused pass reads the field once and the previous values once, and writes
/// the new previous values once. The histogram is computed on short runs of each row
/// right after the summary while they are in L1, with the histogram kernels themselves,
/// so counts are exactly those of histogram() (see histogram.hpp).
///
/// **Change**: change_sum is the sum, accumulated in double, of
/// `double(current) - double(previous)` over the cells where neither value is NaN, and
/// change_count the number of those cells. Like the reductions, vector versions add in
/// another order than a plain loop: results agree with the scalar reference to rounding.
///
/// @code
/// // Per iteration, over the blocks of a step read in place (sluice/channel/consumer.hpp),
/// // `previous` being this rank's copy of the last iteration, row-major over the selection:
/// sluice::kernels::StepStatistics<double> total;
/// std::vector<std::uint64_t> counts(spec.bins);
/// for (const auto& view : step.blocks()) {
///   const sluice::kernels::StridedBlock<const double> current(
///       static_cast<const double*>(view.data), view.count, view.strides);
///   const sluice::kernels::StridedBlock<double> before(
///       previous.data() + view.result_start[0] * columns + view.result_start[1], view.count,
///       std::array<std::int64_t, 2>{columns, 1});
///   total.merge(sluice::kernels::step_statistics(
///       current, before, sluice::kernels::History::compare_and_store, spec, counts));
/// }
/// const double mean_change = total.change_sum / static_cast<double>(total.change_count);
/// @endcode
///
/// Every function is thread-safe (concurrent calls must not share `counts` or write the
/// same previous values) and not collective.

#include <cstdint>
#include <span>

#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/isa.hpp"
#include "sluice/kernels/reduce.hpp"
#include "sluice/kernels/strided_block.hpp"

namespace sluice::kernels {

/// What a fused pass does with the previous values.
enum class History {
  ignore,            ///< nothing: `previous` may be an empty block
  compare,           ///< read them: change_sum and change_count
  store,             ///< overwrite them with the current values (the first iteration)
  compare_and_store  ///< read each one, then overwrite it with the current value
};

/// The results of one fused pass; merge() combines those of several blocks.
template <typename T>
struct StepStatistics {
  /// Sum, min, max and count of the current values, as summary() computes them.
  Summary<T> summary;
  /// Sum of current - previous (in double) over the cells where both are numbers.
  double change_sum = 0.0;
  /// The number of those cells.
  std::uint64_t change_count = 0;

  /// Combines the results of another block into these.
  void merge(const StepStatistics& other) noexcept {
    summary.merge(other.summary);
    change_sum += other.change_sum;
    change_count += other.change_count;
  }
};

/// One pass over `current`: its summary (returned), its histogram (added to `counts`,
/// which must have spec.bins elements, as histogram() does) and what `history` asks for
/// with `previous`, which then must have the same counts as `current` (its strides may
/// differ: a step's blocks sit in the producers' buffers, the previous values in the
/// reader's own). `previous` may be the same memory for compare_and_store: each value is
/// read before it is overwritten.
///
/// Throws sluice::InvalidArgument like histogram() for a bad spec or counts, if
/// `previous` does not have the counts of `current` (unless history is ignore), or
/// (overloads taking one) if `isa` is not in available_isas().
[[nodiscard]] StepStatistics<float> step_statistics(StridedBlock<const float> current,
                                                    StridedBlock<float> previous, History history,
                                                    const HistogramSpec& spec,
                                                    std::span<std::uint64_t> counts);
[[nodiscard]] StepStatistics<double> step_statistics(StridedBlock<const double> current,
                                                     StridedBlock<double> previous, History history,
                                                     const HistogramSpec& spec,
                                                     std::span<std::uint64_t> counts);
[[nodiscard]] StepStatistics<float> step_statistics(StridedBlock<const float> current,
                                                    StridedBlock<float> previous, History history,
                                                    const HistogramSpec& spec,
                                                    std::span<std::uint64_t> counts, Isa isa);
[[nodiscard]] StepStatistics<double> step_statistics(StridedBlock<const double> current,
                                                     StridedBlock<double> previous, History history,
                                                     const HistogramSpec& spec,
                                                     std::span<std::uint64_t> counts, Isa isa);

}  // namespace sluice::kernels
