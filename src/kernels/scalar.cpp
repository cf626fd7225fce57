// The scalar reference kernels as an instruction set of their own (Isa::scalar): what the
// vector versions are tested against, and what benchmarks compare them with. Compiled
// with the project's flags only, so this is the plain loop as the compiler builds it.
#include "reference.hpp"

namespace sluice::kernels::detail {
namespace {

template <typename T>
constexpr TypedKernels<T> reference_kernels() noexcept {
  return {&reference_sum<T>,   &reference_min<T>,     &reference_max<T>,
          &reference_count<T>, &reference_summary<T>, &reference_histogram<T>};
}

}  // namespace

constinit const KernelTable scalar_table = {reference_kernels<float>(),
                                            reference_kernels<double>()};

}  // namespace sluice::kernels::detail
