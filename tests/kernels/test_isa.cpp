#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sluice/kernels/isa.hpp"

namespace k = sluice::kernels;
using k::Isa;

// Criterion runs each test in a fresh process, so SLUICE_KERNELS_ISA is read anew in each
// test that sets it before the first call.

Test(isa, available_isas_start_with_scalar_and_go_from_narrow_to_wide) {
  unsetenv("SLUICE_KERNELS_ISA");
  const auto isas = k::available_isas();
  cr_assert_geq(isas.size(), 1u);
  cr_assert_eq(isas.front(), Isa::scalar);
  for (std::size_t i = 1; i < isas.size(); ++i) {
    cr_assert_lt(static_cast<int>(isas[i - 1]), static_cast<int>(isas[i]));
  }
#if defined(__x86_64__)
  cr_assert(k::is_available(Isa::sse2), "SSE2 is part of x86-64");
#endif
  std::string names;
  for (const Isa isa : isas) {
    names += ' ' + std::string(k::isa_name(isa));
  }
  cr_log_info("available:%s", names.c_str());
}

Test(isa, best_isa_is_the_widest_available) {
  unsetenv("SLUICE_KERNELS_ISA");
  cr_assert_eq(k::best_isa(), k::available_isas().back());
  cr_assert(k::is_available(k::best_isa()));
}

Test(isa, names_round_trip_and_unknown_names_do_not_parse) {
  for (const Isa isa : {Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512}) {
    cr_assert_eq(k::parse_isa(k::isa_name(isa)).value(), isa);
  }
  cr_assert(k::isa_name(Isa::avx512) == "avx512");
  cr_assert_not(k::parse_isa("avx").has_value(), "plain AVX has no kernels");
  cr_assert_not(k::parse_isa("AVX2").has_value());
  cr_assert_not(k::parse_isa("").has_value());
}

Test(isa, values_outside_the_enum_are_not_available) {
  cr_assert_not(k::is_available(static_cast<Isa>(42)));
}

Test(isa, sluice_kernels_isa_caps_the_best_isa) {
  setenv("SLUICE_KERNELS_ISA", "scalar", 1);
  cr_assert_eq(k::best_isa(), Isa::scalar);
  // Explicit choices are not capped.
  cr_assert(k::is_available(k::available_isas().back()));
}

Test(isa, unknown_sluice_kernels_isa_warns_and_is_ignored, .init = cr_redirect_stderr) {
  setenv("SLUICE_KERNELS_ISA", "avx1024", 1);
  cr_assert_eq(k::best_isa(), k::available_isas().back());
  std::fflush(stderr);
  cr_assert_stderr_neq_str("");
}
