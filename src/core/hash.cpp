#include "sluice/core/hash.hpp"

#include <array>

namespace sluice {

namespace {

// One FNV-1a step; shared so that the byte and character overloads cannot drift apart.
constexpr std::uint64_t fnv1a_step(std::uint64_t h, unsigned char byte) noexcept {
  return (h ^ byte) * fnv1a_64_prime;
}

}  // namespace

std::uint64_t fnv1a_64(std::span<const std::byte> bytes) noexcept {
  std::uint64_t h = fnv1a_64_offset_basis;
  for (const std::byte b : bytes) {
    h = fnv1a_step(h, static_cast<unsigned char>(b));
  }
  return h;
}

std::uint64_t fnv1a_64(std::string_view text) noexcept {
  std::uint64_t h = fnv1a_64_offset_basis;
  // char may be signed; the specification works on octets.
  for (const char c : text) {
    h = fnv1a_step(h, static_cast<unsigned char>(c));
  }
  return h;
}

std::uint64_t stable_hash(std::span<const std::byte> bytes) noexcept {
  return fmix64(fnv1a_64(bytes));
}

std::uint64_t stable_hash(std::string_view text) noexcept { return fmix64(fnv1a_64(text)); }

std::uint64_t stable_hash(std::uint64_t value) noexcept {
  // Spelled out byte by byte: a memcpy of the value would hash differently on a
  // big-endian machine.
  std::array<std::byte, 8> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::byte>((value >> (8 * i)) & 0xffU);
  }
  return stable_hash(std::span<const std::byte>(bytes));
}

}  // namespace sluice
