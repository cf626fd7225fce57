#pragma once
// Walking the rows of strided blocks, shared by the dispatch layer (which turns a public
// StridedBlock into a RawBlock and merges dimensions) and the per-instruction-set
// objects (which run their row kernels on every row). Internal linkage throughout, for
// the reason given in reference.hpp.

#include <algorithm>
#include <cstddef>

#include "reference.hpp"
#include "table.hpp"

namespace sluice::kernels::detail {
namespace {

/// Merges dimension d into d + 1 of every block (all of the same counts) if that
/// describes the same elements: the rows of d + 1 follow each other in memory, or one of
/// the two has a count of 1. Outer dimensions move in; dimension 0 becomes 1. Returns
/// whether it merged.
template <typename... B>
inline bool merge_dimension(std::size_t d, B&... blocks) noexcept {
  const std::size_t outer_count[] = {blocks.count[d]...};  // the same in every block
  const std::size_t inner = std::min({blocks.count[d + 1]...});
  const bool mergeable =
      outer_count[0] == 1 || inner == 1 ||
      ((blocks.stride[d] == static_cast<std::ptrdiff_t>(inner) * blocks.stride[d + 1]) && ...);
  if (!mergeable) {
    return false;
  }
  // With a single inner element the merged dimension steps like the outer one.
  ((blocks.stride[d + 1] = inner == 1 ? blocks.stride[d] : blocks.stride[d + 1]), ...);
  ((blocks.count[d + 1] = blocks.count[d] * blocks.count[d + 1]), ...);
  for (std::size_t o = d; o > 0; --o) {
    ((blocks.count[o] = blocks.count[o - 1], blocks.stride[o] = blocks.stride[o - 1]), ...);
  }
  ((blocks.count[0] = 1, blocks.stride[0] = 0), ...);
  return true;
}

/// Merges every dimension that can be merged (see merge_dimension), so that a 2-D or 3-D
/// view of a contiguous array is one long row for the vector code, and a block of
/// contiguous rows between halos keeps its rows. Dispatch layer only (it calls the
/// standard library).
template <typename... B>
inline void merge_dimensions(B&... blocks) noexcept {
  if (merge_dimension(1, blocks...)) {
    merge_dimension(1, blocks...);  // the former dimension 0, now dimension 1
  } else {
    merge_dimension(0, blocks...);
  }
}

/// Calls row(start, n, stride) for every row of `b`, in row-major order.
template <typename T, typename Row>
inline void for_each_row(const RawBlock<T>& b, Row&& row) {
  for (std::size_t i = 0; i < b.count[0]; ++i) {
    T* plane = b.data + static_cast<std::ptrdiff_t>(i) * b.stride[0];
    for (std::size_t j = 0; j < b.count[1]; ++j) {
      row(plane + static_cast<std::ptrdiff_t>(j) * b.stride[1], b.count[2], b.stride[2]);
    }
  }
}

/// Calls row(a_start, a_stride, b_start, b_stride, n) for the matching rows of two
/// blocks of the same counts.
template <typename T, typename U, typename Row>
inline void for_each_row_pair(const RawBlock<T>& a, const RawBlock<U>& b, Row&& row) {
  for (std::size_t i = 0; i < a.count[0]; ++i) {
    T* a_plane = a.data + static_cast<std::ptrdiff_t>(i) * a.stride[0];
    U* b_plane = b.data + static_cast<std::ptrdiff_t>(i) * b.stride[0];
    for (std::size_t j = 0; j < a.count[1]; ++j) {
      row(a_plane + static_cast<std::ptrdiff_t>(j) * a.stride[1], a.stride[2],
          b_plane + static_cast<std::ptrdiff_t>(j) * b.stride[1], b.stride[2], a.count[2]);
    }
  }
}

// The reductions over a block, given the row kernel of an instruction set for rows of
// stride 1; other rows run the scalar reference.

template <typename T, double (*Row)(const T*, std::size_t) noexcept>
double block_sum(const RawBlock<const T>& b) noexcept {
  double total = 0.0;
  for_each_row(b, [&](const T* row, std::size_t n, std::ptrdiff_t stride) {
    total += stride == 1 ? Row(row, n) : reference_sum(row, n, stride);
  });
  return total;
}

template <typename T, T (*Row)(const T*, std::size_t) noexcept>
T block_min(const RawBlock<const T>& b) noexcept {
  T result = infinity<T>;
  for_each_row(b, [&](const T* row, std::size_t n, std::ptrdiff_t stride) {
    const T m = stride == 1 ? Row(row, n) : reference_min(row, n, stride);
    result = m < result ? m : result;
  });
  return result;
}

template <typename T, T (*Row)(const T*, std::size_t) noexcept>
T block_max(const RawBlock<const T>& b) noexcept {
  T result = -infinity<T>;
  for_each_row(b, [&](const T* row, std::size_t n, std::ptrdiff_t stride) {
    const T m = stride == 1 ? Row(row, n) : reference_max(row, n, stride);
    result = m > result ? m : result;
  });
  return result;
}

template <typename T, std::uint64_t (*Row)(const T*, std::size_t) noexcept>
std::uint64_t block_count(const RawBlock<const T>& b) noexcept {
  std::uint64_t result = 0;
  for_each_row(b, [&](const T* row, std::size_t n, std::ptrdiff_t stride) {
    result += stride == 1 ? Row(row, n) : reference_count(row, n, stride);
  });
  return result;
}

template <typename T, Summary<T> (*Row)(const T*, std::size_t) noexcept>
Summary<T> block_summary(const RawBlock<const T>& b) noexcept {
  Summary<T> result;
  for_each_row(b, [&](const T* row, std::size_t n, std::ptrdiff_t stride) {
    merge_summary(result, stride == 1 ? Row(row, n) : reference_summary(row, n, stride));
  });
  return result;
}

}  // namespace
}  // namespace sluice::kernels::detail
