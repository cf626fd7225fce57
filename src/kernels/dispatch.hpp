#pragma once
// What the public kernel functions share on the generic side of the seam (never included
// by the per-instruction-set objects): validating a histogram's spec, its scratch
// counters, and turning public StridedBlocks into RawBlocks.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "block_walk.hpp"
#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/strided_block.hpp"
#include "table.hpp"

namespace sluice::kernels::detail {

/// The bin parameters of `spec` in T, checked. Throws InvalidArgument as histogram()
/// documents. Defined in histogram.cpp for float and double.
template <typename T>
[[nodiscard]] BinParams<T> make_bin_params(const HistogramSpec& spec, std::size_t counts_size);

/// Scratch counters for a histogram kernel: on the stack for small histograms (the usual
/// case: no allocation per call), on the heap beyond.
class HistogramScratch {
 public:
  explicit HistogramScratch(std::size_t size) {
    if (size > m_small.size()) {
      m_large.resize(size);
      m_data = m_large.data();
    }
  }
  HistogramScratch(const HistogramScratch&) = delete;
  HistogramScratch& operator=(const HistogramScratch&) = delete;
  [[nodiscard]] std::uint64_t* data() noexcept { return m_data; }

 private:
  // Four copies of 256 bins and their dump slots: 8 KiB. The kernel initialises what
  // it uses.
  std::array<std::uint64_t, histogram_copies * 257> m_small;
  std::vector<std::uint64_t> m_large;
  std::uint64_t* m_data = m_small.data();
};

/// A StridedBlock as the kernels take it, dimensions not yet merged.
template <typename T>
[[nodiscard]] inline RawBlock<T> raw(const StridedBlock<T>& block) noexcept {
  RawBlock<T> r{block.data(), {}, {}};
  for (std::size_t d = 0; d < max_block_dims; ++d) {
    r.count[d] = block.counts()[d];
    r.stride[d] = block.strides()[d];
  }
  return r;
}

/// raw() with mergeable dimensions merged, for the kernels that read one block.
template <typename T>
[[nodiscard]] inline RawBlock<T> merged(const StridedBlock<T>& block) noexcept {
  RawBlock<T> r = raw(block);
  merge_dimensions(r);
  return r;
}

}  // namespace sluice::kernels::detail
