#pragma once
/// @file
/// A stable 64-bit hash for placing keys and members on the scheduler ring (DESIGN.md §3).
///
/// Every process resolves owners locally, so every process must compute the same hash for
/// the same bytes, whatever its compiler, standard library or CPU. std::hash promises none
/// of that; these functions are defined bit for bit: 64-bit FNV-1a (Fowler, Noll, Vo) over
/// the bytes, then the 64-bit finaliser of MurmurHash3 (fmix64). FNV-1a alone spreads
/// short, similar keys ("stream-1", "stream-2") poorly in its high bits, which is exactly
/// what a ring position is made of; fmix64 gives every input bit an effect on every output
/// bit. All of them are pure functions: thread-safe.
///
/// @code
/// const std::uint64_t h = sluice::stable_hash("temperature");  // same on every rank
/// @endcode

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sluice {

/// FNV-1a 64 offset basis and prime, as in the FNV specification.
inline constexpr std::uint64_t fnv1a_64_offset_basis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t fnv1a_64_prime = 0x00000100000001b3ULL;

/// 64-bit FNV-1a of the bytes. Thread-safe.
[[nodiscard]] std::uint64_t fnv1a_64(std::span<const std::byte> bytes) noexcept;

/// 64-bit FNV-1a of the characters, each taken as one unsigned byte. Thread-safe.
[[nodiscard]] std::uint64_t fnv1a_64(std::string_view text) noexcept;

/// MurmurHash3's 64-bit finaliser: a bijection on 64-bit values with full avalanche.
/// Thread-safe.
[[nodiscard]] constexpr std::uint64_t fmix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// The ring's hash of the bytes: fmix64(fnv1a_64(bytes)). Thread-safe.
[[nodiscard]] std::uint64_t stable_hash(std::span<const std::byte> bytes) noexcept;

/// The ring's hash of the characters, each taken as one unsigned byte; equal to
/// stable_hash of the same bytes. Thread-safe.
[[nodiscard]] std::uint64_t stable_hash(std::string_view text) noexcept;

/// The ring's hash of a 64-bit value, taken as its 8 little-endian bytes whatever the
/// byte order of this machine. Thread-safe.
[[nodiscard]] std::uint64_t stable_hash(std::uint64_t value) noexcept;

}  // namespace sluice
