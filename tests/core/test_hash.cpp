// The stable hash must give the same value on every process, compiler and platform, so
// every expected value here is a frozen constant: FNV-1a 64 values from the FNV
// specification's test suite, fmix64 values from MurmurHash3, and values of the
// composed stable_hash computed once with an independent implementation (Python,
// arbitrary-precision integers masked to 64 bits) and copied here.
#include <criterion/criterion.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sluice/core/hash.hpp"

namespace r = sluice;

namespace {

struct TextVector {
  std::string_view text;
  std::uint64_t fnv1a;
  std::uint64_t stable;
};

// std::string_view from a literal with an embedded NUL needs its length spelled out.
constexpr std::string_view binary_input{"\xff\x00\x80", 3};

const TextVector text_vectors[] = {
    {"", 0xcbf29ce484222325ULL, 0xefd01f60ba992926ULL},
    {"a", 0xaf63dc4c8601ec8cULL, 0x82a2a958a9bece5bULL},
    {"foobar", 0x85944171f73967e8ULL, 0x2c22194922d1672bULL},
    {"temperature", 0x556575c1ce107955ULL, 0x06c92a2d3a2d33b9ULL},
    {"stream/0", 0x51cebc164e59556aULL, 0x06603b5e7722c24cULL},
    {binary_input, 0xf920891be415651eULL, 0x07b5cbebc9388e00ULL},
};

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace

Test(hash, fnv1a_64_matches_the_specification) {
  for (const auto& v : text_vectors) {
    cr_assert_eq(r::fnv1a_64(v.text), v.fnv1a, "fnv1a_64 of a %zu-byte input: %#llx, want %#llx",
                 v.text.size(), static_cast<unsigned long long>(r::fnv1a_64(v.text)),
                 static_cast<unsigned long long>(v.fnv1a));
    cr_assert_eq(r::fnv1a_64(bytes_of(v.text)), v.fnv1a, "byte overload, %zu-byte input",
                 v.text.size());
  }
}

Test(hash, fmix64_matches_murmur3) {
  static_assert(r::fmix64(0) == 0, "fmix64 maps 0 to 0");
  static_assert(r::fmix64(1) == 0xb456bcfc34c2cb2cULL);
  cr_assert_eq(r::fmix64(r::fnv1a_64_offset_basis), 0xefd01f60ba992926ULL);
}

Test(hash, stable_hash_vectors_are_frozen) {
  for (const auto& v : text_vectors) {
    const std::uint64_t got = r::stable_hash(v.text);
    cr_assert_eq(got, v.stable, "stable_hash of a %zu-byte input: %#llx, want %#llx", v.text.size(),
                 static_cast<unsigned long long>(got), static_cast<unsigned long long>(v.stable));
    cr_assert_eq(r::stable_hash(bytes_of(v.text)), v.stable, "byte overload, %zu-byte input",
                 v.text.size());
  }
}

Test(hash, integers_hash_as_their_little_endian_bytes) {
  const struct {
    std::uint64_t value;
    std::uint64_t stable;
  } vectors[] = {
      {0, 0x7bd3144f29c0cc9eULL},
      {1, 0x4a3a3a4ba6523826ULL},
      {0x0123456789abcdefULL, 0xf1b1f7378097a748ULL},
      {(3ULL << 32) | 7, 0xea76656faf15f6abULL},
  };
  for (const auto& v : vectors) {
    cr_assert_eq(r::stable_hash(v.value), v.stable, "stable_hash(%#llx)",
                 static_cast<unsigned long long>(v.value));
    std::array<std::byte, 8> le{};
    for (std::size_t i = 0; i < le.size(); ++i) {
      le[i] = static_cast<std::byte>(v.value >> (8 * i));
    }
    cr_assert_eq(r::stable_hash(std::span<const std::byte>(le)), v.stable);
  }
}

Test(hash, similar_keys_differ_in_about_half_their_bits) {
  // The ring position is the whole 64-bit value; keys one character apart must not land
  // near each other. Over 1000 neighbouring pairs the mean Hamming distance of a good
  // 64-bit hash is 32 with a standard error of about 0.13.
  double total_bits = 0;
  const int pairs = 1000;
  for (int i = 0; i < pairs; ++i) {
    const std::uint64_t a = r::stable_hash("stream/" + std::to_string(i));
    const std::uint64_t b = r::stable_hash("stream/" + std::to_string(i + 1));
    total_bits += std::popcount(a ^ b);
  }
  const double mean_bits = total_bits / pairs;
  cr_assert(mean_bits > 31 && mean_bits < 33, "mean Hamming distance %.2f, want about 32",
            mean_bits);
}
