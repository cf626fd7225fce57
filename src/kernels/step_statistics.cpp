#include "sluice/kernels/step_statistics.hpp"

#include <string>

#include "dispatch.hpp"
#include "sluice/core/error.hpp"
#include "table.hpp"

namespace sluice::kernels {
namespace {

std::string describe(const std::array<std::size_t, max_block_dims>& counts) {
  return "[" + std::to_string(counts[0]) + ", " + std::to_string(counts[1]) + ", " +
         std::to_string(counts[2]) + "]";
}

template <typename T>
StepStatistics<T> run(const detail::KernelTable& table, const StridedBlock<const T>& current,
                      const StridedBlock<T>& previous, History history, const HistogramSpec& spec,
                      std::span<std::uint64_t> counts) {
  const detail::BinParams<T> params = detail::make_bin_params<T>(spec, counts.size());
  const bool uses_previous = history != History::ignore;
  if (uses_previous && previous.counts() != current.counts()) {
    throw InvalidArgument("computing the statistics of a step against its previous values",
                          "the current block has counts " + describe(current.counts()) +
                              " and the previous one " + describe(previous.counts()),
                          "pass previous values of the same cells, in a block of the same "
                          "counts (its strides may differ)");
  }
  if (current.empty()) {
    return {};
  }
  detail::RawBlock<const T> now = detail::raw(current);
  // Unused previous values: a block of the same counts that never moves (null + 0 is
  // the only arithmetic done on it).
  detail::RawBlock<T> before =
      uses_previous
          ? detail::raw(previous)
          : detail::RawBlock<T>{nullptr, {now.count[0], now.count[1], now.count[2]}, {0, 0, 0}};
  detail::merge_dimensions(now, before);
  detail::HistogramScratch scratch(params.scratch_size);
  return table.of<T>().step(now, before, history, params, counts.data(), scratch.data());
}

}  // namespace

StepStatistics<float> step_statistics(StridedBlock<const float> current,
                                      StridedBlock<float> previous, History history,
                                      const HistogramSpec& spec, std::span<std::uint64_t> counts) {
  return run(detail::best_table(), current, previous, history, spec, counts);
}
StepStatistics<double> step_statistics(StridedBlock<const double> current,
                                       StridedBlock<double> previous, History history,
                                       const HistogramSpec& spec, std::span<std::uint64_t> counts) {
  return run(detail::best_table(), current, previous, history, spec, counts);
}
StepStatistics<float> step_statistics(StridedBlock<const float> current,
                                      StridedBlock<float> previous, History history,
                                      const HistogramSpec& spec, std::span<std::uint64_t> counts,
                                      Isa isa) {
  return run(detail::table_for(isa), current, previous, history, spec, counts);
}
StepStatistics<double> step_statistics(StridedBlock<const double> current,
                                       StridedBlock<double> previous, History history,
                                       const HistogramSpec& spec, std::span<std::uint64_t> counts,
                                       Isa isa) {
  return run(detail::table_for(isa), current, previous, history, spec, counts);
}

}  // namespace sluice::kernels
