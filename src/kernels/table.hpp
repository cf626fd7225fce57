#pragma once
// The seam between the public kernel functions and their per-instruction-set versions.
//
// Each instruction set is compiled in its own object (scalar.cpp, simd_sse2.cpp,
// simd_avx2.cpp, simd_avx512.cpp) and exports one KernelTable of plain function
// pointers. Nothing but that table crosses the seam, and it holds only built-in types,
// so no vector type ever passes between objects compiled with different -m flags.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "sluice/kernels/arithmetic.hpp"
#include "sluice/kernels/isa.hpp"
#include "sluice/kernels/reduce.hpp"
#include "sluice/kernels/step_statistics.hpp"

namespace sluice::kernels::detail {

/// A validated HistogramSpec in the element type, and how the vector kernels count it.
/// Filled once per call by histogram.cpp.
template <typename T>
struct BinParams {
  T lo;
  T hi;
  T width;        // hi - lo, computed once so that every version divides by the same value
  T bins;         // bin count as T: the factor of the bin formula, and the dump slot
  T last;         // bins - 1: where x == hi goes
  std::size_t n;  // bin count

  // The general vector path counts into `copies` tables of `stride` = bins + 1 counters
  // (the last one for elements outside the range): scratch_size = copies * stride.
  std::size_t copies;
  std::size_t stride;
  std::size_t scratch_size;
};

/// Counters are incremented round robin in up to this many copies: with one, a run of
/// elements in the same bin (common in smooth fields) waits on the previous increment's
/// store; with four, four increments are in flight.
inline constexpr std::size_t histogram_copies = 4;

/// A histogram kernel adds the bin counts of data[0, n) to counts[0, params.n), using
/// params.scratch_size counters at `scratch` as it likes (the scalar one uses none).
template <typename T>
using HistogramKernel = void (*)(const T* data, std::size_t n, const BinParams<T>& params,
                                 std::uint64_t* counts, std::uint64_t* scratch) noexcept;

/// A StridedBlock as it crosses the seam: plain arrays, no member functions (an inline
/// member compiled into one instruction set's object could be the copy the linker keeps
/// for all of them). Always 3 dimensions, outermost first; dimensions the dispatch layer
/// could merge are merged (see block_walk.hpp), and the block is never empty.
template <typename T>
struct RawBlock {
  T* data;
  std::size_t count[3];
  std::ptrdiff_t stride[3];
};

/// A histogram kernel over a strided block, like HistogramKernel.
template <typename T>
using BlockHistogramKernel = void (*)(const RawBlock<const T>& block, const BinParams<T>& params,
                                      std::uint64_t* counts, std::uint64_t* scratch) noexcept;

/// One fused pass over a block and the previous values of the same cells (same counts,
/// its own strides): summary, histogram into counts, and what `history` asks for.
template <typename T>
using StepKernel = StepStatistics<T> (*)(const RawBlock<const T>& current,
                                         const RawBlock<T>& previous, History history,
                                         const BinParams<T>& params, std::uint64_t* counts,
                                         std::uint64_t* scratch) noexcept;

template <typename T>
struct TypedKernels {
  double (*sum)(const T* data, std::size_t n) noexcept;
  T (*min)(const T* data, std::size_t n) noexcept;
  T (*max)(const T* data, std::size_t n) noexcept;
  std::uint64_t (*count)(const T* data, std::size_t n) noexcept;
  Summary<T> (*summary)(const T* data, std::size_t n) noexcept;
  HistogramKernel<T> histogram;
  // The same over strided blocks.
  double (*block_sum)(const RawBlock<const T>& block) noexcept;
  T (*block_min)(const RawBlock<const T>& block) noexcept;
  T (*block_max)(const RawBlock<const T>& block) noexcept;
  std::uint64_t (*block_count)(const RawBlock<const T>& block) noexcept;
  Summary<T> (*block_summary)(const RawBlock<const T>& block) noexcept;
  BlockHistogramKernel<T> block_histogram;
  StepKernel<T> step;
};

/// arithmetic() over n elements, the summaries not asked for null (see arithmetic.hpp).
/// The operation is a plain enum and the summaries plain pointers: nothing with member
/// functions crosses the seam.
using ArithmeticKernel = void (*)(Arithmetic op, const double* x, const double* y, double* out,
                                  std::size_t n, Summary<double>* x_summary,
                                  Summary<double>* y_summary,
                                  Summary<double>* out_summary) noexcept;

struct KernelTable {
  TypedKernels<float> f32;
  TypedKernels<double> f64;
  ArithmeticKernel arithmetic;

  template <typename T>
  [[nodiscard]] constexpr const TypedKernels<T>& of() const noexcept {
    if constexpr (std::is_same_v<T, float>) {
      return f32;
    } else {
      return f64;
    }
  }
};

// Defined by the per-instruction-set objects; the simd ones exist on x86-64 only.
extern const KernelTable scalar_table;
extern const KernelTable sse2_table;
extern const KernelTable avx2_table;
extern const KernelTable avx512_table;

/// The table of best_isa(). Thread-safe.
[[nodiscard]] const KernelTable& best_table() noexcept;

/// The table of `isa`; throws InvalidArgument if it is not available. Thread-safe.
[[nodiscard]] const KernelTable& table_for(Isa isa);

}  // namespace sluice::kernels::detail
