#pragma once
// The scalar reference kernels: the definition every vector version is tested against,
// and the code the vector versions run on the elements after their last full vector.
//
// Everything is in an anonymous namespace on purpose. This header is compiled into
// objects built with different -m flags; with external linkage the linker would keep one
// copy of each function (say, the AVX-512 one) for all of them, and the scalar object
// would then fault on a CPU without AVX-512. For the same reason nothing here calls a
// standard library function that might be emitted out of line (std::isnan, std::min,
// even std::numeric_limits<T>::infinity() at -O0): `x == x` is false exactly for NaN,
// and constants are constexpr variables, evaluated by the compiler.

#include <cstddef>
#include <cstdint>
#include <limits>

#include "table.hpp"

namespace sluice::kernels::detail {
namespace {

template <typename T>
constexpr T infinity = std::numeric_limits<T>::infinity();

template <typename T>
inline bool is_number(T x) noexcept {
  return x == x;  // false only for NaN
}

template <typename T>
double reference_sum(const T* data, std::size_t n) noexcept {
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_number(data[i])) {
      total += static_cast<double>(data[i]);
    }
  }
  return total;
}

template <typename T>
T reference_min(const T* data, std::size_t n) noexcept {
  T result = infinity<T>;
  for (std::size_t i = 0; i < n; ++i) {
    if (data[i] < result) {  // false for NaN, which is thereby skipped
      result = data[i];
    }
  }
  return result;
}

template <typename T>
T reference_max(const T* data, std::size_t n) noexcept {
  T result = -infinity<T>;
  for (std::size_t i = 0; i < n; ++i) {
    if (data[i] > result) {
      result = data[i];
    }
  }
  return result;
}

template <typename T>
std::uint64_t reference_count(const T* data, std::size_t n) noexcept {
  std::uint64_t result = 0;
  for (std::size_t i = 0; i < n; ++i) {
    result += is_number(data[i]) ? 1 : 0;
  }
  return result;
}

template <typename T>
Summary<T> reference_summary(const T* data, std::size_t n) noexcept {
  Summary<T> result;
  for (std::size_t i = 0; i < n; ++i) {
    const T x = data[i];
    if (!is_number(x)) {
      continue;
    }
    result.sum += static_cast<double>(x);
    result.min = x < result.min ? x : result.min;
    result.max = x > result.max ? x : result.max;
    ++result.count;
  }
  return result;
}

/// The bin of x as HistogramSpec defines it, or p.n if x is outside [lo, hi] or NaN.
/// The vector versions must compute exactly this: same operations, same order.
template <typename T>
std::size_t reference_bin(T x, const BinParams<T>& p) noexcept {
  if (!(x >= p.lo && x <= p.hi)) {  // written so that NaN is out too
    return p.n;
  }
  // x >= lo makes t >= 0 (and finite, since x <= hi), so truncation is floor. t reaches
  // `bins` only at x == hi or just below it after rounding: the last bin's closed end.
  const T t = (x - p.lo) / p.width * p.bins;
  const auto bin = static_cast<std::size_t>(t);
  return bin < p.n ? bin : p.n - 1;
}

template <typename T>
void reference_histogram(const T* data, std::size_t n, const BinParams<T>& p, std::uint64_t* counts,
                         std::uint64_t* /*scratch*/) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t bin = reference_bin(data[i], p);
    if (bin < p.n) {
      ++counts[bin];
    }
  }
}

}  // namespace
}  // namespace sluice::kernels::detail
