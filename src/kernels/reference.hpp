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

// Every kernel exists with an element stride (a row of a strided block whose elements
// are not adjacent); the (data, n) form is the stride-1 case the vector code falls back to.

template <typename T>
double reference_sum(const T* data, std::size_t n, std::ptrdiff_t stride = 1) noexcept {
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i, data += stride) {
    if (is_number(*data)) {
      total += static_cast<double>(*data);
    }
  }
  return total;
}

template <typename T>
T reference_min(const T* data, std::size_t n, std::ptrdiff_t stride = 1) noexcept {
  T result = infinity<T>;
  for (std::size_t i = 0; i < n; ++i, data += stride) {
    if (*data < result) {  // false for NaN, which is thereby skipped
      result = *data;
    }
  }
  return result;
}

template <typename T>
T reference_max(const T* data, std::size_t n, std::ptrdiff_t stride = 1) noexcept {
  T result = -infinity<T>;
  for (std::size_t i = 0; i < n; ++i, data += stride) {
    if (*data > result) {
      result = *data;
    }
  }
  return result;
}

template <typename T>
std::uint64_t reference_count(const T* data, std::size_t n, std::ptrdiff_t stride = 1) noexcept {
  std::uint64_t result = 0;
  for (std::size_t i = 0; i < n; ++i, data += stride) {
    result += is_number(*data) ? 1 : 0;
  }
  return result;
}

/// Adds x to a summary (nothing if x is NaN).
template <typename T>
inline void add_to_summary(Summary<T>& result, T x) noexcept {
  if (!is_number(x)) {
    return;
  }
  result.sum += static_cast<double>(x);
  result.min = x < result.min ? x : result.min;
  result.max = x > result.max ? x : result.max;
  ++result.count;
}

/// Summary::merge, here so that no inline function of a public header is compiled into
/// the per-instruction-set objects (see the file comment).
template <typename T>
inline void merge_summary(Summary<T>& into, const Summary<T>& other) noexcept {
  into.sum += other.sum;
  into.min = other.min < into.min ? other.min : into.min;
  into.max = other.max > into.max ? other.max : into.max;
  into.count += other.count;
}

/// x op y, as arithmetic() and a stream graph's elementwise nodes compute it.
inline double reference_arithmetic(Arithmetic op, double x, double y) noexcept {
  switch (op) {
    case Arithmetic::add:
      return x + y;
    case Arithmetic::subtract:
      return x - y;
    case Arithmetic::multiply:
      return x * y;
    case Arithmetic::divide:
      break;
  }
  return x / y;
}

/// arithmetic() element by element, from element `first` on: the reference, and the tail
/// of the vector versions.
inline void reference_arithmetic_run(Arithmetic op, const double* x, const double* y, double* out,
                                     std::size_t first, std::size_t n, Summary<double>* x_summary,
                                     Summary<double>* y_summary,
                                     Summary<double>* out_summary) noexcept {
  for (std::size_t i = first; i < n; ++i) {
    // Read both operands before the store: out may be x or y.
    const double a = x[i];
    const double b = y[i];
    const double result = reference_arithmetic(op, a, b);
    out[i] = result;
    if (x_summary != nullptr) {
      add_to_summary(*x_summary, a);
    }
    if (y_summary != nullptr) {
      add_to_summary(*y_summary, b);
    }
    if (out_summary != nullptr) {
      add_to_summary(*out_summary, result);
    }
  }
}

inline void reference_arithmetic_kernel(Arithmetic op, const double* x, const double* y,
                                        double* out, std::size_t n, Summary<double>* x_summary,
                                        Summary<double>* y_summary,
                                        Summary<double>* out_summary) noexcept {
  reference_arithmetic_run(op, x, y, out, 0, n, x_summary, y_summary, out_summary);
}

template <typename T>
Summary<T> reference_summary(const T* data, std::size_t n, std::ptrdiff_t stride = 1) noexcept {
  Summary<T> result;
  for (std::size_t i = 0; i < n; ++i, data += stride) {
    add_to_summary(result, *data);
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
void reference_histogram_strided(const T* data, std::size_t n, std::ptrdiff_t stride,
                                 const BinParams<T>& p, std::uint64_t* counts) noexcept {
  for (std::size_t i = 0; i < n; ++i, data += stride) {
    const std::size_t bin = reference_bin(*data, p);
    if (bin < p.n) {
      ++counts[bin];
    }
  }
}

template <typename T>
void reference_histogram(const T* data, std::size_t n, const BinParams<T>& p, std::uint64_t* counts,
                         std::uint64_t* /*scratch*/) noexcept {
  reference_histogram_strided(data, n, 1, p, counts);
}

/// The fused pass (step_statistics.hpp) over n cells of a row: each current value is
/// summarised and binned, compared with its previous value if Compare, and stored over
/// it if Store, in that order (the previous value is read before it is overwritten).
template <typename T, bool Compare, bool Store>
void reference_step_row(const T* current, std::ptrdiff_t current_stride, T* previous,
                        std::ptrdiff_t previous_stride, std::size_t n, const BinParams<T>& p,
                        std::uint64_t* counts, StepStatistics<T>& result) noexcept {
  for (std::size_t i = 0; i < n; ++i, current += current_stride, previous += previous_stride) {
    const T x = *current;
    add_to_summary(result.summary, x);
    const std::size_t bin = reference_bin(x, p);
    if (bin < p.n) {
      ++counts[bin];
    }
    if constexpr (Compare) {
      const T before = *previous;
      if (is_number(x) && is_number(before)) {
        result.change_sum += static_cast<double>(x) - static_cast<double>(before);
        ++result.change_count;
      }
    }
    if constexpr (Store) {
      *previous = x;
    }
  }
}

inline void merge_step(StepStatistics<float>& into, const StepStatistics<float>& other) noexcept {
  merge_summary(into.summary, other.summary);
  into.change_sum += other.change_sum;
  into.change_count += other.change_count;
}
inline void merge_step(StepStatistics<double>& into, const StepStatistics<double>& other) noexcept {
  merge_summary(into.summary, other.summary);
  into.change_sum += other.change_sum;
  into.change_count += other.change_count;
}

}  // namespace
}  // namespace sluice::kernels::detail
