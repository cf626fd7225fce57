// The scalar reference kernels as an instruction set of their own (Isa::scalar): what the
// vector versions are tested against, and what benchmarks compare them with. Compiled
// with the project's flags only, so this is the plain loop as the compiler builds it.
#include "block_walk.hpp"
#include "reference.hpp"

namespace sluice::kernels::detail {
namespace {

// The contiguous kernels: the reference ones at stride 1.
template <typename T>
double row_sum(const T* data, std::size_t n) noexcept {
  return reference_sum(data, n);
}
template <typename T>
T row_min(const T* data, std::size_t n) noexcept {
  return reference_min(data, n);
}
template <typename T>
T row_max(const T* data, std::size_t n) noexcept {
  return reference_max(data, n);
}
template <typename T>
std::uint64_t row_count(const T* data, std::size_t n) noexcept {
  return reference_count(data, n);
}
template <typename T>
Summary<T> row_summary(const T* data, std::size_t n) noexcept {
  return reference_summary(data, n);
}

template <typename T>
void reference_block_histogram(const RawBlock<const T>& b, const BinParams<T>& p,
                               std::uint64_t* counts, std::uint64_t* /*scratch*/) noexcept {
  for_each_row(b, [&](const T* row, std::size_t n, std::ptrdiff_t stride) {
    reference_histogram_strided(row, n, stride, p, counts);
  });
}

template <typename T, bool Compare, bool Store>
StepStatistics<T> reference_step_as(const RawBlock<const T>& current, const RawBlock<T>& previous,
                                    const BinParams<T>& p, std::uint64_t* counts) noexcept {
  StepStatistics<T> result;
  for_each_row_pair(current, previous,
                    [&](const T* row, std::ptrdiff_t row_stride, T* before,
                        std::ptrdiff_t before_stride, std::size_t n) {
                      reference_step_row<T, Compare, Store>(row, row_stride, before, before_stride,
                                                            n, p, counts, result);
                    });
  return result;
}

template <typename T>
StepStatistics<T> reference_step(const RawBlock<const T>& current, const RawBlock<T>& previous,
                                 History history, const BinParams<T>& p, std::uint64_t* counts,
                                 std::uint64_t* /*scratch*/) noexcept {
  switch (history) {
    case History::compare:
      return reference_step_as<T, true, false>(current, previous, p, counts);
    case History::store:
      return reference_step_as<T, false, true>(current, previous, p, counts);
    case History::compare_and_store:
      return reference_step_as<T, true, true>(current, previous, p, counts);
    case History::ignore:
      break;
  }
  return reference_step_as<T, false, false>(current, previous, p, counts);
}

template <typename T>
constexpr TypedKernels<T> reference_kernels() noexcept {
  return {&row_sum<T>,
          &row_min<T>,
          &row_max<T>,
          &row_count<T>,
          &row_summary<T>,
          &reference_histogram<T>,
          &block_sum<T, &row_sum<T>>,
          &block_min<T, &row_min<T>>,
          &block_max<T, &row_max<T>>,
          &block_count<T, &row_count<T>>,
          &block_summary<T, &row_summary<T>>,
          &reference_block_histogram<T>,
          &reference_step<T>};
}

}  // namespace

constinit const KernelTable scalar_table = {reference_kernels<float>(), reference_kernels<double>(),
                                            &reference_arithmetic_kernel};

}  // namespace sluice::kernels::detail
