#include "sluice/kernels/isa.hpp"

#include <array>
#include <cstddef>
#include <cstdlib>
#include <string>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "table.hpp"

namespace sluice::kernels {
namespace {

constexpr std::array<Isa, 4> all_isas{Isa::scalar, Isa::sse2, Isa::avx2, Isa::avx512};

bool cpu_runs(Isa isa) noexcept {
#if defined(__x86_64__)
  // GCC's and Clang's checks also ask the OS (XGETBV) whether it saves the wide
  // registers; xsimd 8.1's detection does not, and misreports AVX on this class of
  // machine, which is why it is not used here.
  __builtin_cpu_init();
  switch (isa) {
    case Isa::scalar:
    case Isa::sse2:  // part of x86-64
      return true;
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") != 0;
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512cd") != 0 &&
             __builtin_cpu_supports("avx512dq") != 0 && __builtin_cpu_supports("avx512bw") != 0;
  }
  return false;
#else
  // Only the scalar kernels are built for other architectures.
  return isa == Isa::scalar;
#endif
}

struct Detected {
  std::array<Isa, 4> isas{};
  std::size_t size = 0;
  Isa best = Isa::scalar;
};

Isa cap_from_environment(Isa best) {
  const char* value = std::getenv("SLUICE_KERNELS_ISA");
  if (value == nullptr || *value == '\0') {
    return best;
  }
  const auto wanted = parse_isa(value);
  if (!wanted) {
    log::warn("SLUICE_KERNELS_ISA='", value,
              "' is not an instruction set; use scalar, sse2, avx2 or avx512. Using ",
              isa_name(best), '.');
    return best;
  }
  if (!is_available(*wanted)) {
    log::warn("SLUICE_KERNELS_ISA='", value, "': this CPU cannot run it. Using ", isa_name(best),
              '.');
    return best;
  }
  return *wanted;
}

const Detected& detected() noexcept {
  static const Detected result = [] {
    Detected d;
    for (const Isa isa : all_isas) {
      if (cpu_runs(isa)) {
        d.isas[d.size++] = isa;
      }
    }
    d.best = d.isas[d.size - 1];
    return d;
  }();
  return result;
}

const detail::KernelTable& table_of(Isa isa) noexcept {
  switch (isa) {
#if defined(__x86_64__)
    case Isa::sse2:
      return detail::sse2_table;
    case Isa::avx2:
      return detail::avx2_table;
    case Isa::avx512:
      return detail::avx512_table;
#endif
    default:
      return detail::scalar_table;
  }
}

}  // namespace

std::string_view isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::scalar:
      return "scalar";
    case Isa::sse2:
      return "sse2";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<Isa> parse_isa(std::string_view name) noexcept {
  for (const Isa isa : all_isas) {
    if (name == isa_name(isa)) {
      return isa;
    }
  }
  return std::nullopt;
}

std::span<const Isa> available_isas() noexcept {
  const Detected& d = detected();
  return {d.isas.data(), d.size};
}

bool is_available(Isa isa) noexcept {
  for (const Isa available : available_isas()) {
    if (available == isa) {
      return true;
    }
  }
  return false;
}

Isa best_isa() noexcept {
  // Separate from detected(): the environment check calls is_available().
  static const Isa best = [] {
    try {
      return cap_from_environment(detected().best);
    } catch (...) {  // logging allocates; a failure to warn must not change the result
      return detected().best;
    }
  }();
  return best;
}

namespace detail {

const KernelTable& best_table() noexcept {
  static const KernelTable& table = table_of(best_isa());
  return table;
}

const KernelTable& table_for(Isa isa) {
  if (!is_available(isa)) {
    std::string available;
    for (const Isa candidate : available_isas()) {
      available += available.empty() ? "" : ", ";
      available += isa_name(candidate);
    }
    throw InvalidArgument("running a kernel with Isa '" + std::string(isa_name(isa)) + "'",
                          "this build or CPU cannot run it",
                          "use one of available_isas(): " + available);
  }
  return table_of(isa);
}

}  // namespace detail
}  // namespace sluice::kernels
