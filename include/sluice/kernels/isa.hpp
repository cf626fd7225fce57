#pragma once
/// @file
/// The instruction sets the kernels are built for, and which of them this CPU runs.
///
/// Every kernel exists once per instruction set: a plain scalar loop, which is the
/// reference the others are tested against, and xsimd versions for SSE2, AVX2 and
/// AVX-512, each compiled in an object of its own with the matching -m flags so that one
/// binary runs everywhere and still uses the widest registers the CPU has. A call without
/// an explicit Isa runs best_isa(); passing one is for tests and benchmarks that compare
/// the versions side by side.
///
/// `SLUICE_KERNELS_ISA=<name>` (read once, at the first kernel call) caps best_isa(), e.g.
/// `scalar` to measure what vectorisation buys a whole run. An unknown name, or one this
/// CPU cannot run, is reported on stderr and ignored.
///
/// @code
/// for (const sluice::kernels::Isa isa : sluice::kernels::available_isas()) {
///   std::cout << isa_name(isa) << ": " << sluice::kernels::sum(field, isa) << '\n';
/// }
/// @endcode
///
/// All functions here are thread-safe and not collective.

#include <optional>
#include <span>
#include <string_view>

namespace sluice::kernels {

/// An instruction set a kernel can be run with, from the narrowest to the widest.
/// `avx512` means AVX-512 F, CD, DQ and BW (every AVX-512 CPU since Skylake-SP has them).
enum class Isa { scalar, sse2, avx2, avx512 };

/// The lower-case name of `isa` ("scalar", "sse2", "avx2", "avx512").
[[nodiscard]] std::string_view isa_name(Isa isa) noexcept;

/// Parses a name as returned by isa_name; std::nullopt if unknown.
[[nodiscard]] std::optional<Isa> parse_isa(std::string_view name) noexcept;

/// The instruction sets this build contains and this CPU (and its OS) runs, narrowest
/// first. Always starts with Isa::scalar. Detected once, at the first call.
[[nodiscard]] std::span<const Isa> available_isas() noexcept;

/// True if `isa` is in available_isas().
[[nodiscard]] bool is_available(Isa isa) noexcept;

/// The instruction set calls without an explicit Isa use: the widest available one,
/// unless `SLUICE_KERNELS_ISA` names a narrower one.
[[nodiscard]] Isa best_isa() noexcept;

}  // namespace sluice::kernels
