#pragma once
// The table of strided blocks the strided and fused kernels are tested on, and the
// helpers that lay them out in memory and read them back element by element.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernel_data.hpp"
#include "sluice/kernels/strided_block.hpp"

namespace kernel_test {

/// A block of `count` elements with `strides`, 1 to 3 dimensions, starting `offset`
/// elements into its buffer (so that the vector code also meets unaligned rows).
struct BlockCase {
  const char* what;
  std::vector<std::int64_t> count;
  std::vector<std::int64_t> strides;
  std::int64_t offset = 0;
};

/// Contiguous and strided, 1 to 3 dimensions, rows shorter and longer than the vectors,
/// the fused pass's runs (1024) and the histogram's blocks (64), empty blocks.
inline const std::vector<BlockCase> block_cases{
    {"1-D empty", {0}, {1}},
    {"1-D one element", {1}, {1}},
    {"1-D contiguous", {1000}, {1}},
    {"1-D contiguous, unaligned", {4099}, {1}, 1},
    {"1-D stride 3 (downsampled)", {100}, {3}},
    {"2-D contiguous (one row after merging)", {8, 64}, {64, 1}},
    {"2-D rows between halos", {5, 37}, {41, 1}, 42},
    {"2-D long rows between halos", {3, 2500}, {2600, 1}, 1},
    {"2-D every other column", {6, 10}, {50, 2}},
    {"2-D a column", {17, 1}, {9, 1}, 3},
    {"2-D no rows", {0, 5}, {5, 1}},
    {"2-D empty rows", {4, 0}, {5, 1}},
    {"3-D contiguous", {2, 3, 4}, {12, 4, 1}},
    {"3-D planes between halos", {3, 4, 129}, {4 * 131 + 7, 131, 1}, 5},
    {"3-D contiguous planes, padded between", {3, 5, 33}, {5 * 33 + 2, 33, 1}},
    {"3-D strided innermost", {2, 3, 5}, {100, 20, 3}},
    {"3-D empty middle", {3, 0, 4}, {16, 4, 1}},
};

/// The elements a case needs in its buffer.
inline std::size_t buffer_size(const BlockCase& c) {
  std::int64_t last = c.offset;
  for (std::size_t d = 0; d < c.count.size(); ++d) {
    if (c.count[d] == 0) {
      return static_cast<std::size_t>(c.offset) + 1;
    }
    last += (c.count[d] - 1) * c.strides[d];
  }
  return static_cast<std::size_t>(last) + 1;
}

/// The block's elements in row-major order, read with the documented formula.
template <typename T>
std::vector<std::remove_const_t<T>> gather(const sluice::kernels::StridedBlock<T>& block) {
  std::vector<std::remove_const_t<T>> out;
  const auto& n = block.counts();
  const auto& s = block.strides();
  for (std::size_t i = 0; i < n[0]; ++i) {
    for (std::size_t j = 0; j < n[1]; ++j) {
      for (std::size_t l = 0; l < n[2]; ++l) {
        out.push_back(block.data()[static_cast<std::ptrdiff_t>(i) * s[0] +
                                   static_cast<std::ptrdiff_t>(j) * s[1] +
                                   static_cast<std::ptrdiff_t>(l) * s[2]]);
      }
    }
  }
  return out;
}

/// A buffer for case c: values in [-10, 110) (around the heat2d histogram's range), with
/// NaNs, infinities and both ends of the range sprinkled in, reproducibly.
template <typename T>
std::vector<T> case_buffer(const BlockCase& c, std::uint64_t seed) {
  std::vector<T> values = uniform<T>(buffer_size(c), T{-10}, T{110}, seed);
  for (std::size_t i = 0; i < values.size(); ++i) {
    switch ((i * 7 + seed) % 53) {
      case 0:
        values[i] = quiet_nan<T>;
        break;
      case 1:
        values[i] = T{100};
        break;
      case 2:
        values[i] = T{0};
        break;
      case 3:
        values[i] = T{6.25};
        break;
      case 4:
        values[i] = seed % 2 == 0 ? infinity<T> : -infinity<T>;
        break;
      default:
        break;
    }
  }
  return values;
}

}  // namespace kernel_test
