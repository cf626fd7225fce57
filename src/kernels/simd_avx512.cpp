// The kernels for AVX-512 (xsimd::avx512bw); meson.build compiles this file with
// -mavx512f -mavx512cd -mavx512dq -mavx512bw.
#include "simd_impl.hpp"

static_assert(xsimd::avx512bw::supported(), "simd_avx512.cpp needs -mavx512{f,cd,dq,bw}");

namespace sluice::kernels::detail {

constinit const KernelTable avx512_table = make_table<xsimd::avx512bw>();

}  // namespace sluice::kernels::detail
