#pragma once
// The statistics heat2d-analytics computes for one iteration of its band of the
// temperature field (DESIGN.md §7), apart from how the steps are obtained: given a step
// and the previous iteration's values of the band, one fused pass per block
// (sluice::kernels::step_statistics) gives the summary, the histogram and the sum of
// T_k - T_p, and keeps T_k as the next iteration's previous values.
//
// A step read in place is read where it lies, block by block in the producers' slots:
// no copy of the selection is assembled. A step pulled with MPI_Get is already one
// contiguous array. Either way the previous values are kept row-major over the step's
// selection, in this rank's own buffer (the slot is released at the next next()), so the
// way the next step arrives does not matter.
#include <mpi.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "sluice/channel/consumer.hpp"
#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/step_statistics.hpp"
#include "sluice/mpi/comm.hpp"

namespace heat2d {

inline constexpr std::size_t bins = 16;

/// One rank's share of an iteration's statistics, and their combination.
struct Partial {
  double sum = 0.0;
  double dtdt_sum = 0.0;  // sum of (T_k - T_p) / (t_k - t_p) over the cells
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::uint64_t count = 0;
  std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(bins, 0);

  /// The totals, on rank 0 of `comm`. Collective.
  [[nodiscard]] Partial reduce(const sluice::mpi::Comm& comm) const {
    Partial total;
    const double sums[2] = {sum, dtdt_sum};
    double summed[2] = {0.0, 0.0};
    MPI_Reduce(sums, summed, 2, MPI_DOUBLE, MPI_SUM, 0, comm.get());
    MPI_Reduce(&min, &total.min, 1, MPI_DOUBLE, MPI_MIN, 0, comm.get());
    MPI_Reduce(&max, &total.max, 1, MPI_DOUBLE, MPI_MAX, 0, comm.get());
    std::vector<std::uint64_t> tallies(counts);
    tallies.push_back(count);
    std::vector<std::uint64_t> tallied(tallies.size(), 0);
    MPI_Reduce(tallies.data(), tallied.data(), static_cast<int>(tallies.size()), MPI_UINT64_T,
               MPI_SUM, 0, comm.get());
    total.sum = summed[0];
    total.dtdt_sum = summed[1];
    total.count = tallied.back();
    total.counts.assign(tallied.begin(), tallied.end() - 1);
    return total;
  }
};

/// The previous published iteration's values of this rank's band, row-major over the
/// selection they came with.
struct PreviousBand {
  std::vector<double> values;
  sluice::Selection selection;  // what `values` covers
  bool has_values = false;      // false before the first step
};

/// Row-major element strides of an array of `shape`.
inline sluice::Extents row_major_strides(const sluice::Extents& shape) {
  sluice::Extents strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) {
    strides[d - 1] = strides[d] * shape[d];
  }
  return strides;
}

/// This rank's statistics of `field` (an ok step of the temperature stream), with dT/dt
/// against `previous` over `elapsed` time units, which it then replaces with this step.
/// Steering may narrow the exposed region: the step then holds part of the band, or
/// none of it. dT/dt compares cells of the same region only: `is_comparable` tells
/// whether this step's cells are those of the previous step (false for the first).
/// As a mean over the cells, dT/dt is NaN where a compared cell is NaN in either step.
inline Partial band_statistics(const sluice::channel::Step& field, PreviousBand& previous,
                               double elapsed, bool& is_comparable) {
  namespace kernels = sluice::kernels;
  const kernels::HistogramSpec spec{0.0, 100.0, bins};
  const auto& selection = field.selection();
  is_comparable = previous.has_values && selection.start == previous.selection.start &&
                  selection.count == previous.selection.count;
  const auto elements = static_cast<std::size_t>(selection.elements());
  if (!is_comparable) {
    previous.values.assign(elements, 0.0);  // overwritten below, every cell
  }
  const kernels::History history =
      is_comparable ? kernels::History::compare_and_store : kernels::History::store;
  // The previous values of a block landing at `start` in the selection: its cells in the
  // reader's row-major buffer.
  const sluice::Extents strides = row_major_strides(selection.count);
  const auto previous_of = [&](const sluice::Extents& start, const sluice::Extents& count) {
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < start.size(); ++d) {
      offset += start[d] * strides[d];
    }
    return kernels::StridedBlock<double>(previous.values.data() + offset, count, strides);
  };

  kernels::StepStatistics<double> stats;
  Partial partial;
  if (elements > 0) {
    if (field.in_place()) {
      for (const auto& view : field.blocks()) {
        const kernels::StridedBlock<const double> current(static_cast<const double*>(view.data),
                                                          view.count, view.strides);
        stats.merge(kernels::step_statistics(current, previous_of(view.result_start, view.count),
                                             history, spec, partial.counts));
      }
    } else {
      const std::span<const double> data = field.data<double>();
      const kernels::StridedBlock<const double> current(data.data(), selection.count, strides);
      const sluice::Extents origin(selection.count.size(), 0);
      stats = kernels::step_statistics(current, previous_of(origin, selection.count), history, spec,
                                       partial.counts);
    }
  }
  partial.sum = stats.summary.sum;
  partial.min = stats.summary.min;
  partial.max = stats.summary.max;
  partial.count = stats.summary.count;
  if (is_comparable) {
    partial.dtdt_sum = stats.change_count == elements ? stats.change_sum / elapsed
                                                      : std::numeric_limits<double>::quiet_NaN();
  }
  previous.selection = selection;
  previous.has_values = true;
  return partial;
}

}  // namespace heat2d
