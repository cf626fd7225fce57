#pragma once
// Test data and checks shared by the kernel tests.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "sluice/kernels/isa.hpp"

namespace kernel_test {

/// Lengths around every vector width (2 to 16 lanes) times the unrolling (up to 4 vectors,
/// 64-element histogram blocks), so that every loop and every tail runs, empty or not.
inline const std::vector<std::size_t> lengths{0,   1,   2,   3,   4,   5,    7,    8,    9,
                                              15,  16,  17,  31,  32,  33,   63,   64,   65,
                                              127, 128, 129, 255, 257, 1000, 4099, 65537};

/// n values drawn uniformly from [lo, hi), reproducibly.
template <typename T>
std::vector<T> uniform(std::size_t n, T lo, T hi, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<T> distribution(lo, hi);
  std::vector<T> values(n);
  for (T& x : values) {
    x = distribution(engine);
  }
  return values;
}

template <typename T>
constexpr T quiet_nan = std::numeric_limits<T>::quiet_NaN();
template <typename T>
constexpr T infinity = std::numeric_limits<T>::infinity();

template <typename T>
const char* type_name() {
  return sizeof(T) == sizeof(float) ? "float" : "double";
}

inline std::string name(sluice::kernels::Isa isa) {
  return std::string(sluice::kernels::isa_name(isa));
}

}  // namespace kernel_test
