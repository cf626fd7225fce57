#include "sluice/kernels/histogram.hpp"

#include <array>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "dispatch.hpp"
#include "sluice/core/error.hpp"
#include "table.hpp"

namespace sluice::kernels {
namespace {

constexpr const char* asked = "computing a histogram";

std::string describe(const HistogramSpec& spec) {
  std::ostringstream text;
  text << "{lo " << spec.lo << ", hi " << spec.hi << ", bins " << spec.bins << '}';
  return text.str();
}

template <typename T>
detail::BinParams<T> bin_params(const HistogramSpec& spec, std::size_t counts_size) {
  const char* type = std::is_same_v<T, float> ? "float" : "double";
  if (spec.bins == 0 || spec.bins > max_histogram_bins) {
    throw InvalidArgument(asked, "spec " + describe(spec) + " has no bins or too many",
                          "use between 1 and max_histogram_bins (2^24) bins");
  }
  if (counts_size != spec.bins) {
    throw InvalidArgument(asked,
                          "counts has " + std::to_string(counts_size) + " elements for " +
                              std::to_string(spec.bins) + " bins",
                          "pass a span of exactly spec.bins counts");
  }
  // Checked in T: for float data the range is rounded to float before it is used.
  const auto lo = static_cast<T>(spec.lo);
  const auto hi = static_cast<T>(spec.hi);
  const T width = hi - lo;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi) || !std::isfinite(width)) {
    throw InvalidArgument(asked,
                          "spec " + describe(spec) + " is not a range of finite " + type +
                              " values with lo < hi and a finite hi - lo",
                          "give finite bounds with lo below hi");
  }
  detail::BinParams<T> p{};
  p.lo = lo;
  p.hi = hi;
  p.width = width;
  p.bins = static_cast<T>(spec.bins);
  p.last = p.bins - T{1};
  p.n = spec.bins;

  // Large histograms are rarely hit twice in a row, and four copies would cost memory.
  p.copies = spec.bins <= 1024 ? detail::histogram_copies : 1;
  p.stride = spec.bins + 1;
  p.scratch_size = p.copies * p.stride;
  return p;
}

template <typename T>
void run(const detail::KernelTable& table, std::span<const T> data, const HistogramSpec& spec,
         std::span<std::uint64_t> counts) {
  const detail::BinParams<T> params = bin_params<T>(spec, counts.size());
  detail::HistogramScratch scratch(params.scratch_size);
  table.of<T>().histogram(data.data(), data.size(), params, counts.data(), scratch.data());
}

template <typename T>
void run(const detail::KernelTable& table, std::span<const StridedBlock<const T>> blocks,
         const HistogramSpec& spec, std::span<std::uint64_t> counts) {
  const detail::BinParams<T> params = bin_params<T>(spec, counts.size());
  detail::HistogramScratch scratch(params.scratch_size);
  for (const auto& block : blocks) {
    if (!block.empty()) {
      table.of<T>().block_histogram(detail::merged(block), params, counts.data(), scratch.data());
    }
  }
}

}  // namespace

void histogram(std::span<const float> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts) {
  run(detail::best_table(), data, spec, counts);
}
void histogram(std::span<const double> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts) {
  run(detail::best_table(), data, spec, counts);
}
void histogram(std::span<const float> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa) {
  run(detail::table_for(isa), data, spec, counts);
}
void histogram(std::span<const double> data, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa) {
  run(detail::table_for(isa), data, spec, counts);
}

void histogram(StridedBlock<const float> block, const HistogramSpec& spec,
               std::span<std::uint64_t> counts) {
  run(detail::best_table(), std::span<const StridedBlock<const float>>(&block, 1), spec, counts);
}
void histogram(StridedBlock<const double> block, const HistogramSpec& spec,
               std::span<std::uint64_t> counts) {
  run(detail::best_table(), std::span<const StridedBlock<const double>>(&block, 1), spec, counts);
}
void histogram(std::span<const StridedBlock<const float>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts) {
  run(detail::best_table(), blocks, spec, counts);
}
void histogram(std::span<const StridedBlock<const double>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts) {
  run(detail::best_table(), blocks, spec, counts);
}
void histogram(std::span<const StridedBlock<const float>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa) {
  run(detail::table_for(isa), blocks, spec, counts);
}
void histogram(std::span<const StridedBlock<const double>> blocks, const HistogramSpec& spec,
               std::span<std::uint64_t> counts, Isa isa) {
  run(detail::table_for(isa), blocks, spec, counts);
}

std::vector<std::uint64_t> histogram(std::span<const float> data, const HistogramSpec& spec) {
  std::vector<std::uint64_t> counts(spec.bins <= max_histogram_bins ? spec.bins : 0);
  histogram(data, spec, counts);
  return counts;
}
std::vector<std::uint64_t> histogram(std::span<const double> data, const HistogramSpec& spec) {
  std::vector<std::uint64_t> counts(spec.bins <= max_histogram_bins ? spec.bins : 0);
  histogram(data, spec, counts);
  return counts;
}

namespace detail {

template <typename T>
BinParams<T> make_bin_params(const HistogramSpec& spec, std::size_t counts_size) {
  return bin_params<T>(spec, counts_size);
}
template BinParams<float> make_bin_params<float>(const HistogramSpec&, std::size_t);
template BinParams<double> make_bin_params<double>(const HistogramSpec&, std::size_t);

}  // namespace detail
}  // namespace sluice::kernels
