// The kernels for SSE2 (xsimd::sse2); meson.build compiles this file with -msse2.
#include "simd_impl.hpp"

static_assert(xsimd::sse2::supported(), "simd_sse2.cpp needs -msse2");

namespace sluice::kernels::detail {

constinit const KernelTable sse2_table = make_table<xsimd::sse2>();

}  // namespace sluice::kernels::detail
