// The kernels for AVX2 (xsimd::avx2); meson.build compiles this file with -mavx2.
#include "simd_impl.hpp"

static_assert(xsimd::avx2::supported(), "simd_avx2.cpp needs -mavx2");

namespace sluice::kernels::detail {

constinit const KernelTable avx2_table = make_table<xsimd::avx2>();

}  // namespace sluice::kernels::detail
