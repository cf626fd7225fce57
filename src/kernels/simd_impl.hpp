#pragma once
// The xsimd versions of the kernels, written once for any xsimd architecture A and
// instantiated by simd_sse2.cpp, simd_avx2.cpp and simd_avx512.cpp, each compiled with
// its own -m flags. Like reference.hpp, everything has internal linkage so that no
// function compiled for one instruction set can be picked by the linker for another.
//
// Shape shared by the reductions: independent accumulators over several vectors per
// iteration (one accumulator would make every iteration wait for the previous add),
// then single vectors, then the scalar reference on the last elements. Loads are
// unaligned: spans of user arrays come at any alignment, and on the CPUs that have
// these instruction sets an unaligned load of aligned data costs nothing extra.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "block_walk.hpp"
#include "reference.hpp"
#include "table.hpp"

namespace sluice::kernels::detail {
namespace {

template <typename T, class A>
using Batch = xsimd::batch<T, A>;

template <class A>
struct Widened {
  Batch<double, A> low;
  Batch<double, A> high;
};

/// The two halves of a float batch as double batches. xsimd 8.1 converts float to
/// double one element at a time through memory; each half is one instruction.
template <class A>
inline Widened<A> widen(const Batch<float, A>& x) noexcept {
  if constexpr (std::is_same_v<A, xsimd::sse2>) {
    return {_mm_cvtps_pd(x), _mm_cvtps_pd(_mm_movehl_ps(x, x))};
  } else if constexpr (std::is_same_v<A, xsimd::avx2>) {
    return {_mm256_cvtps_pd(_mm256_castps256_ps128(x)),
            _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))};
  } else {
    static_assert(std::is_same_v<A, xsimd::avx512bw>, "no widening for this architecture");
    return {_mm512_cvtps_pd(_mm512_castps512_ps256(x)),
            _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1))};
  }
}

/// Stores the lanes of t (in [0, 2^24]) as int32, truncated. xsimd 8.1 converts double to
/// integers through memory before AVX-512DQ; each conversion here is one instruction.
template <class A, typename T>
inline void store_int32(const Batch<T, A>& t, std::int32_t* out) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    xsimd::batch_cast<std::int32_t>(t).store_unaligned(out);
  } else if constexpr (std::is_same_v<A, xsimd::sse2>) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_cvttpd_epi32(t));
  } else if constexpr (std::is_same_v<A, xsimd::avx2>) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_cvttpd_epi32(t));
  } else {
    static_assert(std::is_same_v<A, xsimd::avx512bw>, "no conversion for this architecture");
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvttpd_epi32(t));
  }
}

/// Adds the lanes of x that are not NaN to acc.
template <class A>
inline void add_numbers(Batch<double, A>& acc, const Batch<double, A>& x) noexcept {
  acc += xsimd::select(x == x, x, Batch<double, A>(0.0));
}

template <class A, typename T>
double simd_sum(const T* data, std::size_t n) noexcept {
  using B = Batch<T, A>;
  constexpr std::size_t lanes = B::size;
  Batch<double, A> a0(0.0), a1(0.0), a2(0.0), a3(0.0);
  std::size_t i = 0;
  if constexpr (std::is_same_v<T, float>) {
    // Each float batch is two double batches: two float batches feed the four sums.
    for (; i + 2 * lanes <= n; i += 2 * lanes) {
      const Widened<A> w0 = widen(B::load_unaligned(data + i));
      const Widened<A> w1 = widen(B::load_unaligned(data + i + lanes));
      add_numbers(a0, w0.low);
      add_numbers(a1, w0.high);
      add_numbers(a2, w1.low);
      add_numbers(a3, w1.high);
    }
    for (; i + lanes <= n; i += lanes) {
      const Widened<A> w = widen(B::load_unaligned(data + i));
      add_numbers(a0, w.low);
      add_numbers(a1, w.high);
    }
  } else {
    for (; i + 4 * lanes <= n; i += 4 * lanes) {
      add_numbers(a0, B::load_unaligned(data + i));
      add_numbers(a1, B::load_unaligned(data + i + lanes));
      add_numbers(a2, B::load_unaligned(data + i + 2 * lanes));
      add_numbers(a3, B::load_unaligned(data + i + 3 * lanes));
    }
    for (; i + lanes <= n; i += lanes) {
      add_numbers(a0, B::load_unaligned(data + i));
    }
  }
  // xsimd 8.1 has no reduce_add: hadd sums the lanes of one batch.
  return xsimd::hadd((a0 + a1) + (a2 + a3)) + reference_sum(data + i, n - i);
}

// xsimd::min(x, m) is minps/minpd(x, m), which returns its second operand when either is
// NaN: a NaN element leaves the accumulator as it was, and the accumulators, starting at
// +inf (-inf for max), never become NaN. The tests check this on every Isa.

// min and max differ only in the operation and the identity; one loop serves both.
// The loaded batch is always the first operand: xsimd's min/max return the second
// when one is NaN, so NaNs never displace the running extreme.
struct MinOp {
  template <typename T>
  static constexpr T identity = infinity<T>;
  template <typename B>
  static B pick(const B& x, const B& y) noexcept {
    return xsimd::min(x, y);
  }
  template <typename T>
  static T reference(const T* data, std::size_t n) noexcept {
    return reference_min(data, n);
  }
  template <typename T>
  static bool beats(T a, T b) noexcept {
    return a < b;
  }
};

struct MaxOp {
  template <typename T>
  static constexpr T identity = -infinity<T>;
  template <typename B>
  static B pick(const B& x, const B& y) noexcept {
    return xsimd::max(x, y);
  }
  template <typename T>
  static T reference(const T* data, std::size_t n) noexcept {
    return reference_max(data, n);
  }
  template <typename T>
  static bool beats(T a, T b) noexcept {
    return a > b;
  }
};

template <class A, typename T, typename Op>
T simd_extreme(const T* data, std::size_t n) noexcept {
  using B = Batch<T, A>;
  constexpr std::size_t lanes = B::size;
  B m0(Op::template identity<T>), m1 = m0, m2 = m0, m3 = m0;
  std::size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    m0 = Op::pick(B::load_unaligned(data + i), m0);
    m1 = Op::pick(B::load_unaligned(data + i + lanes), m1);
    m2 = Op::pick(B::load_unaligned(data + i + 2 * lanes), m2);
    m3 = Op::pick(B::load_unaligned(data + i + 3 * lanes), m3);
  }
  for (; i + lanes <= n; i += lanes) {
    m0 = Op::pick(B::load_unaligned(data + i), m0);
  }
  // No reduce_min/max in xsimd 8.1: store the lanes and finish in scalar code.
  alignas(64) T lane_values[lanes];
  Op::pick(Op::pick(m0, m1), Op::pick(m2, m3)).store_aligned(lane_values);
  const T vector_part = Op::reference(lane_values, lanes);
  const T tail = Op::reference(data + i, n - i);
  return Op::beats(tail, vector_part) ? tail : vector_part;
}

template <class A, typename T>
T simd_min(const T* data, std::size_t n) noexcept {
  return simd_extreme<A, T, MinOp>(data, n);
}

template <class A, typename T>
T simd_max(const T* data, std::size_t n) noexcept {
  return simd_extreme<A, T, MaxOp>(data, n);
}

template <class A, typename T>
std::uint64_t simd_count(const T* data, std::size_t n) noexcept {
  using B = Batch<T, A>;
  constexpr std::size_t step = 4 * B::size;
  // Counted in lanes of T, which for float are exact integers only up to 2^24. A chunk
  // of at most 2^24 elements keeps every partial count (lanes, hadd) below that.
  constexpr std::size_t chunk = (std::size_t{1} << 24) / step * step;
  const B zero(T{0}), one(T{1});
  std::uint64_t total = 0;
  std::size_t i = 0;
  while (n - i >= step) {
    const std::size_t full = (n - i) / step * step;
    const std::size_t end = i + (full < chunk ? full : chunk);
    B c0 = zero, c1 = zero, c2 = zero, c3 = zero;
    for (; i < end; i += step) {
      const B x0 = B::load_unaligned(data + i);
      const B x1 = B::load_unaligned(data + i + B::size);
      const B x2 = B::load_unaligned(data + i + 2 * B::size);
      const B x3 = B::load_unaligned(data + i + 3 * B::size);
      c0 += xsimd::select(x0 == x0, one, zero);
      c1 += xsimd::select(x1 == x1, one, zero);
      c2 += xsimd::select(x2 == x2, one, zero);
      c3 += xsimd::select(x3 == x3, one, zero);
    }
    total += static_cast<std::uint64_t>(xsimd::hadd((c0 + c1) + (c2 + c3)));
  }
  return total + reference_count(data + i, n - i);
}

template <class A, typename T>
Summary<T> simd_summary(const T* data, std::size_t n) noexcept {
  using B = Batch<T, A>;
  using D = Batch<double, A>;
  constexpr std::size_t lanes = B::size;
  const D zero(0.0), one(1.0);
  // Sum and count in double (the count is exact up to 2^53 per lane); min and max in T.
  D s0 = zero, s1 = zero, c0 = zero, c1 = zero;
  B lo0(infinity<T>), lo1 = lo0;
  B hi0(-infinity<T>), hi1 = hi0;
  const auto add = [&](const D& x, D& sum, D& count) {
    const auto is_number = x == x;
    sum += xsimd::select(is_number, x, zero);
    count += xsimd::select(is_number, one, zero);
  };
  const auto add_all = [&](const B& x, D& sum, D& count) {
    if constexpr (std::is_same_v<T, float>) {
      const Widened<A> w = widen(x);
      add(w.low, sum, count);
      add(w.high, sum, count);
    } else {
      add(x, sum, count);
    }
  };
  std::size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const B x0 = B::load_unaligned(data + i);
    const B x1 = B::load_unaligned(data + i + lanes);
    lo0 = xsimd::min(x0, lo0);
    lo1 = xsimd::min(x1, lo1);
    hi0 = xsimd::max(x0, hi0);
    hi1 = xsimd::max(x1, hi1);
    add_all(x0, s0, c0);
    add_all(x1, s1, c1);
  }
  for (; i + lanes <= n; i += lanes) {
    const B x = B::load_unaligned(data + i);
    lo0 = xsimd::min(x, lo0);
    hi0 = xsimd::max(x, hi0);
    add_all(x, s0, c0);
  }
  Summary<T> result = reference_summary(data + i, n - i);
  result.sum += xsimd::hadd(s0 + s1);
  result.count += static_cast<std::uint64_t>(xsimd::hadd(c0 + c1));
  alignas(64) T lane_values[lanes];
  xsimd::min(lo0, lo1).store_aligned(lane_values);
  const T lo = reference_min(lane_values, lanes);
  xsimd::max(hi0, hi1).store_aligned(lane_values);
  const T hi = reference_max(lane_values, lanes);
  result.min = lo < result.min ? lo : result.min;
  result.max = hi > result.max ? hi : result.max;
  return result;
}

template <class A, typename T>
struct BinConstants {
  explicit BinConstants(const BinParams<T>& p) noexcept
      : lo(p.lo), hi(p.hi), width(p.width), bins(p.bins), last(p.last) {}
  Batch<T, A> lo, hi, width, bins, last;
};

/// For every lane of x, a value that truncates to its bin as reference_bin computes it,
/// or `dump` outside [lo, hi] and for NaN. These are reference_bin's operations in
/// reference_bin's order (a multiplication by bins / width would be cheaper, but rounds
/// differently next to bin edges). min(t, last) before truncation equals the reference's
/// min after it, `last` being a whole number; inside lanes have t >= 0, so truncation is
/// the formula's floor.
template <class A, typename T>
inline Batch<T, A> bin_positions(const Batch<T, A>& x, const BinConstants<A, T>& c,
                                 const Batch<T, A>& dump) noexcept {
  const auto inside = (x >= c.lo) & (x <= c.hi);
  const Batch<T, A> t = (x - c.lo) / c.width * c.bins;
  return xsimd::select(inside, xsimd::min(t, c.last), dump);
}

/// The general histogram: bins a run of elements in vectors, then counts it in scalar
/// code (a vector scatter-increment goes wrong when lanes share a bin), round robin into
/// the copies of the counts in `scratch`, each with a dump slot at [bins]. start() zeroes
/// the copies and finish() adds them to counts, so that the runs of a strided block
/// (its rows, or pieces of them) are counted between the two without clearing tables of
/// up to 2^24 counters for each.
template <class A, typename T>
class TableCounter {
 public:
  TableCounter(const BinParams<T>& p, std::uint64_t* counts, std::uint64_t* scratch) noexcept
      : m_p(p),
        m_c(p),
        m_counts(counts),
        m_scratch(scratch),
        m_k0(scratch),
        m_k1(scratch + (1 % p.copies) * p.stride),
        m_k2(scratch + (2 % p.copies) * p.stride),
        m_k3(scratch + (3 % p.copies) * p.stride) {
    for (std::size_t i = 0; i < p.copies * p.stride; ++i) {
      m_scratch[i] = 0;
    }
  }

  void add(const T* data, std::size_t n) noexcept {
    using B = Batch<T, A>;
    constexpr std::size_t block = 64;
    static_assert(block % B::size == 0 && block % histogram_copies == 0);
    static_assert(histogram_copies == 4, "the counting loop below uses four copies");
    alignas(64) std::int32_t slots[block];
    const std::size_t blocks = n / block;
    for (std::size_t b = 0; b < blocks; ++b, data += block) {
      for (std::size_t j = 0; j < block; j += B::size) {
        store_int32<A>(bin_positions(B::load_unaligned(data + j), m_c, m_c.bins), slots + j);
      }
      for (std::size_t j = 0; j < block; j += histogram_copies) {
        ++m_k0[slots[j]];
        ++m_k1[slots[j + 1]];
        ++m_k2[slots[j + 2]];
        ++m_k3[slots[j + 3]];
      }
    }
    reference_histogram(data, n - blocks * block, m_p, m_counts, m_scratch);
  }

  void finish() noexcept {
    for (std::size_t copy = 0; copy < m_p.copies; ++copy) {
      for (std::size_t bin = 0; bin < m_p.n; ++bin) {
        m_counts[bin] += m_scratch[copy * m_p.stride + bin];
      }
    }
  }

 private:
  const BinParams<T>& m_p;
  BinConstants<A, T> m_c;
  std::uint64_t* m_counts;
  std::uint64_t* m_scratch;
  // Locals rather than reads of m_p: stores through the tables could alias it.
  std::uint64_t* m_k0;
  std::uint64_t* m_k1;
  std::uint64_t* m_k2;
  std::uint64_t* m_k3;
};

/// Packed counting applies to histograms of up to this many bins, on AVX2 and AVX-512.
constexpr std::size_t packed_max_bins = 16;
template <class A>
constexpr bool has_packed_counting = !std::is_same_v<A, xsimd::sse2>;

template <class A>
using Word = Batch<std::uint64_t, A>;

/// 4 * bin in 64-bit lanes, for the bin positions of one step (see bin_positions): one
/// Word for double, two (first and second half) for float.
template <class A, typename T>
inline void to_shifts(const Batch<T, A>& positions, Word<A>* words) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    const auto bins = xsimd::batch_cast<std::int32_t>(positions);
    if constexpr (std::is_same_v<A, xsimd::avx2>) {
      words[0] = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(bins));
      words[1] = _mm256_cvtepu32_epi64(_mm256_extracti128_si256(bins, 1));
    } else {
      words[0] = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(bins));
      words[1] = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(bins, 1));
    }
    words[1] = words[1] << 2;
  } else if constexpr (std::is_same_v<A, xsimd::avx2>) {
    words[0] = _mm256_cvtepu32_epi64(_mm256_cvttpd_epi32(positions));
  } else {
    words[0] = _mm512_cvttpd_epu64(positions);
  }
  words[0] = words[0] << 2;
}

/// 1 << shift in every 64-bit lane, and 0 where shift >= 64: the hardware's rule. (In C++
/// such a shift is undefined, and xsimd 8.1's operator<< of two batches is C++ element by
/// element on AVX-512.)
template <class A>
inline Word<A> one_hot(const Word<A>& shift) noexcept {
  if constexpr (std::is_same_v<A, xsimd::avx2>) {
    return _mm256_sllv_epi64(_mm256_set1_epi64x(1), shift);
  } else {
    static_assert(std::is_same_v<A, xsimd::avx512bw>, "no variable shift for this architecture");
    return _mm512_sllv_epi64(_mm512_set1_epi64(1), shift);
  }
}

/// Adds the bytes of even and odd (counters of bins 2k and 2k + 1 in byte k of every
/// lane) to counts.
template <class A>
void spill_bytes(const Word<A>& even, const Word<A>& odd, std::uint64_t* counts) noexcept {
  alignas(64) std::uint64_t lanes[2][Word<A>::size];
  even.store_aligned(lanes[0]);
  odd.store_aligned(lanes[1]);
  for (std::size_t lane = 0; lane < Word<A>::size; ++lane) {
    for (std::size_t byte = 0; byte < 8; ++byte) {
      counts[2 * byte] += (lanes[0][lane] >> (8 * byte)) & 0xff;
      counts[2 * byte + 1] += (lanes[1][lane] >> (8 * byte)) & 0xff;
    }
  }
}

/// Histograms of up to 16 bins without a table: every 64-bit lane holds 16 four-bit
/// counters, and an element adds 1 << (4 * bin) to its lane, so a vector is counted with
/// one shift and one add. Elements outside the range shift by 64, which gives 0. Four
/// bits overflow at 16, so every 15 steps the counters are spread into bytes (the words
/// of a float step into the same bytes), and the bytes, before they can reach 256, into
/// the 64-bit counts.
template <class A, typename T>
void count_packed(const T* data, std::size_t n, const BinParams<T>& p,
                  std::uint64_t* counts) noexcept {
  using B = Batch<T, A>;
  constexpr std::size_t words_per_step = std::is_same_v<T, float> ? 2 : 1;
  constexpr std::size_t steps_per_nibble_spill = 15;  // 15 increments fit four bits
  // Each spill adds up to 15 per word to a byte, and a byte holds 255.
  constexpr std::size_t nibble_spills_per_byte_spill = 17 / words_per_step;
  const BinConstants<A, T> c(p);
  const B dump(T{packed_max_bins});  // shifts by 64
  const Word<A> low_nibbles(0x0f0f0f0f0f0f0f0full);
  std::uint64_t packed_counts[packed_max_bins] = {};
  const std::size_t steps = n / B::size;
  std::size_t step = 0;
  while (step < steps) {
    Word<A> even(0), odd(0);
    for (std::size_t spill = 0; spill < nibble_spills_per_byte_spill && step < steps; ++spill) {
      Word<A> nibbles[words_per_step];
      for (Word<A>& w : nibbles) {
        w = Word<A>(0);
      }
      const std::size_t end =
          step + steps_per_nibble_spill < steps ? step + steps_per_nibble_spill : steps;
      for (; step < end; ++step) {
        Word<A> shifts[words_per_step];
        to_shifts<A>(bin_positions(B::load_unaligned(data + step * B::size), c, dump), shifts);
        for (std::size_t w = 0; w < words_per_step; ++w) {
          nibbles[w] += one_hot<A>(shifts[w]);
        }
      }
      for (const Word<A>& w : nibbles) {
        even += w & low_nibbles;
        odd += (w >> 4) & low_nibbles;
      }
    }
    spill_bytes<A>(even, odd, packed_counts);
  }
  for (std::size_t bin = 0; bin < p.n; ++bin) {
    counts[bin] += packed_counts[bin];
  }
  const std::size_t done = steps * B::size;
  reference_histogram(data + done, n - done, p, counts, nullptr);
}

/// The histogram of an instruction set, over runs of elements: packed counting where it
/// applies, tables otherwise. start (the constructor) and finish() bracket any number of
/// add() calls.
template <class A, typename T>
class Histogrammer {
 public:
  Histogrammer(const BinParams<T>& p, std::uint64_t* counts, std::uint64_t* scratch) noexcept
      : m_p(p), m_counts(counts), m_is_packed(has_packed_counting<A> && p.n <= packed_max_bins) {
    if (!m_is_packed) {
      m_tables.emplace(p, counts, scratch);
    }
  }
  void add(const T* data, std::size_t n) noexcept {
    if constexpr (has_packed_counting<A>) {
      if (m_is_packed) {
        count_packed<A>(data, n, m_p, m_counts);
        return;
      }
    }
    m_tables->add(data, n);
  }
  void finish() noexcept {
    if (m_tables) {
      m_tables->finish();
    }
  }

 private:
  const BinParams<T>& m_p;
  std::uint64_t* m_counts;
  bool m_is_packed;
  std::optional<TableCounter<A, T>> m_tables;
};

template <class A, typename T>
void simd_histogram(const T* data, std::size_t n, const BinParams<T>& p, std::uint64_t* counts,
                    std::uint64_t* scratch) noexcept {
  Histogrammer<A, T> h(p, counts, scratch);
  h.add(data, n);
  h.finish();
}

template <class A, typename T>
void simd_block_histogram(const RawBlock<const T>& b, const BinParams<T>& p, std::uint64_t* counts,
                          std::uint64_t* scratch) noexcept {
  Histogrammer<A, T> h(p, counts, scratch);
  for_each_row(b, [&](const T* row, std::size_t n, std::ptrdiff_t stride) {
    if (stride == 1) {
      h.add(row, n);
    } else {
      reference_histogram_strided(row, n, stride, p, counts);
    }
  });
  h.finish();
}

/// Elements of a row the fused pass summarises before it bins them: they are still in
/// L1 when the histogram reads them again (8 KiB of doubles).
constexpr std::size_t step_chunk = 1024;

/// The vector accumulators of the fused pass: two sets, so that consecutive vectors do
/// not wait on each other's additions. Sums and counts in double (the counts are exact
/// up to 2^53 per lane), extremes in T.
template <class A, typename T>
struct StepAccumulators {
  using B = Batch<T, A>;
  using D = Batch<double, A>;
  D sum[2] = {D(0.0), D(0.0)};
  D count[2] = {D(0.0), D(0.0)};
  D change[2] = {D(0.0), D(0.0)};
  D changed[2] = {D(0.0), D(0.0)};
  B lo[2] = {B(infinity<T>), B(infinity<T>)};
  B hi[2] = {B(-infinity<T>), B(-infinity<T>)};

  /// Adds the lanes of x (and, with Compare, of x - before) to set k.
  template <bool Compare>
  void add(const D& x, const D& before, int k) noexcept {
    const D zero(0.0), one(1.0);
    const auto is_number = x == x;
    sum[k] += xsimd::select(is_number, x, zero);
    count[k] += xsimd::select(is_number, one, zero);
    if constexpr (Compare) {
      const auto both = is_number & (before == before);
      change[k] += xsimd::select(both, x - before, zero);
      changed[k] += xsimd::select(both, one, zero);
    }
  }

  /// One vector of the row: current values at `current`, previous ones at `previous`.
  template <bool Compare, bool Store>
  void step(const T* current, T* previous, int k) noexcept {
    const B x = B::load_unaligned(current);
    lo[k] = xsimd::min(x, lo[k]);
    hi[k] = xsimd::max(x, hi[k]);
    B before(T{0});
    if constexpr (Compare) {
      before = B::load_unaligned(previous);  // before the store below overwrites it
    }
    if constexpr (Store) {
      x.store_unaligned(previous);
    }
    if constexpr (std::is_same_v<T, float>) {
      const Widened<A> wx = widen(x);
      const Widened<A> wb = widen(before);
      add<Compare>(wx.low, wb.low, k);
      add<Compare>(wx.high, wb.high, k);
    } else {
      add<Compare>(x, before, k);
    }
  }

  /// The lanes added up, and merged with what the scalar code computed.
  StepStatistics<T> finish(StepStatistics<T> result) const noexcept {
    result.summary.sum += xsimd::hadd(sum[0] + sum[1]);
    result.summary.count += static_cast<std::uint64_t>(xsimd::hadd(count[0] + count[1]));
    result.change_sum += xsimd::hadd(change[0] + change[1]);
    result.change_count += static_cast<std::uint64_t>(xsimd::hadd(changed[0] + changed[1]));
    alignas(64) T lane_values[B::size];
    xsimd::min(lo[0], lo[1]).store_aligned(lane_values);
    const T low = reference_min(lane_values, B::size);
    xsimd::max(hi[0], hi[1]).store_aligned(lane_values);
    const T high = reference_max(lane_values, B::size);
    result.summary.min = low < result.summary.min ? low : result.summary.min;
    result.summary.max = high > result.summary.max ? high : result.summary.max;
    return result;
  }
};

/// The fused pass over a row whose current and previous values are both contiguous:
/// runs of step_chunk elements, summarised (and compared, and stored) in vectors, then
/// binned by the histogram while in cache. The few elements after the last full vector
/// of the row go through the scalar reference, binning included.
template <class A, typename T, bool Compare, bool Store>
void step_row(const T* current, T* previous, std::size_t n, StepAccumulators<A, T>& acc,
              Histogrammer<A, T>& histogram, const BinParams<T>& p, std::uint64_t* counts,
              StepStatistics<T>& scalar_part) noexcept {
  constexpr std::size_t lanes = Batch<T, A>::size;
  static_assert(step_chunk % (2 * lanes) == 0);
  for (std::size_t start = 0; start < n; start += step_chunk) {
    const std::size_t end = n - start < step_chunk ? n : start + step_chunk;
    std::size_t i = start;
    for (; i + 2 * lanes <= end; i += 2 * lanes) {
      acc.template step<Compare, Store>(current + i, previous + i, 0);
      acc.template step<Compare, Store>(current + i + lanes, previous + i + lanes, 1);
    }
    for (; i + lanes <= end; i += lanes) {
      acc.template step<Compare, Store>(current + i, previous + i, 0);
    }
    histogram.add(current + start, i - start);
    reference_step_row<T, Compare, Store>(current + i, 1, previous + i, 1, end - i, p, counts,
                                          scalar_part);
  }
}

template <class A, typename T, bool Compare, bool Store>
StepStatistics<T> simd_step_as(const RawBlock<const T>& current, const RawBlock<T>& previous,
                               const BinParams<T>& p, std::uint64_t* counts,
                               std::uint64_t* scratch) noexcept {
  StepAccumulators<A, T> acc;
  StepStatistics<T> scalar_part;
  Histogrammer<A, T> histogram(p, counts, scratch);
  constexpr bool uses_previous = Compare || Store;
  for_each_row_pair(current, previous,
                    [&](const T* row, std::ptrdiff_t row_stride, T* before,
                        std::ptrdiff_t before_stride, std::size_t n) {
                      if (row_stride == 1 && (before_stride == 1 || !uses_previous)) {
                        step_row<A, T, Compare, Store>(row, before, n, acc, histogram, p, counts,
                                                       scalar_part);
                      } else {
                        reference_step_row<T, Compare, Store>(
                            row, row_stride, before, before_stride, n, p, counts, scalar_part);
                      }
                    });
  histogram.finish();
  return acc.finish(scalar_part);
}

template <class A, typename T>
StepStatistics<T> simd_step(const RawBlock<const T>& current, const RawBlock<T>& previous,
                            History history, const BinParams<T>& p, std::uint64_t* counts,
                            std::uint64_t* scratch) noexcept {
  switch (history) {
    case History::compare:
      return simd_step_as<A, T, true, false>(current, previous, p, counts, scratch);
    case History::store:
      return simd_step_as<A, T, false, true>(current, previous, p, counts, scratch);
    case History::compare_and_store:
      return simd_step_as<A, T, true, true>(current, previous, p, counts, scratch);
    case History::ignore:
      break;
  }
  return simd_step_as<A, T, false, false>(current, previous, p, counts, scratch);
}

/// The summary of one operand (or the result) of arithmetic(), in vector lanes. The lanes
/// add every element, NaN included: three instructions per vector where skipping NaNs
/// takes seven, and this loop is the one that waits for memory. A NaN among the elements
/// makes the total NaN (so does +inf with -inf), and only then finish() summarises the
/// elements again, skipping NaNs, with simd_summary: once for the first iteration of
/// T - T.previous(), whose previous values are all NaN, not per iteration.
template <class A>
struct LaneSummary {
  using D = Batch<double, A>;
  D sum = D(0.0);
  D lo = D(infinity<double>);
  D hi = D(-infinity<double>);

  void add(const D& x) noexcept {
    sum += x;
    lo = xsimd::min(x, lo);  // x first: a NaN lane keeps the running extreme
    hi = xsimd::max(x, hi);
  }

  /// Merges into `into` the summary of data[0, n), the elements the lanes have added.
  void finish(const double* data, std::size_t n, Summary<double>& into) const noexcept {
    const double total = xsimd::hadd(sum);
    if (total != total) {
      merge_summary(into, simd_summary<A, double>(data, n));
      return;
    }
    alignas(64) double lanes[D::size];
    Summary<double> s;
    s.sum = total;
    s.count = n;
    lo.store_aligned(lanes);
    s.min = reference_min(lanes, D::size);
    hi.store_aligned(lanes);
    s.max = reference_max(lanes, D::size);
    merge_summary(into, s);
  }
};

template <class A>
inline Batch<double, A> apply_arithmetic(Arithmetic op, const Batch<double, A>& a,
                                         const Batch<double, A>& b) noexcept {
  switch (op) {
    case Arithmetic::add:
      return a + b;
    case Arithmetic::subtract:
      return a - b;
    case Arithmetic::multiply:
      return a * b;
    case Arithmetic::divide:
      break;
  }
  return a / b;
}

/// arithmetic() with the operation and the summaries asked for fixed at compile time, so
/// that the loop holds only their instructions. One set of lanes per summary: the loop is
/// short, and the loads it waits for come from memory, not from the previous addition.
template <class A, Arithmetic Op, bool SummariseX, bool SummariseY, bool SummariseOut>
void simd_arithmetic_as(const double* x, const double* y, double* out, std::size_t n,
                        Summary<double>* x_summary, Summary<double>* y_summary,
                        Summary<double>* out_summary) noexcept {
  using D = Batch<double, A>;
  LaneSummary<A> sx, sy, so;
  std::size_t i = 0;
  for (; i + D::size <= n; i += D::size) {
    const D a = D::load_unaligned(x + i);
    const D b = D::load_unaligned(y + i);
    const D result = apply_arithmetic<A>(Op, a, b);
    result.store_unaligned(out + i);
    if constexpr (SummariseX) {
      sx.add(a);
    }
    if constexpr (SummariseY) {
      sy.add(b);
    }
    if constexpr (SummariseOut) {
      so.add(result);
    }
  }
  if constexpr (SummariseX) {
    sx.finish(x, i, *x_summary);
  }
  if constexpr (SummariseY) {
    sy.finish(y, i, *y_summary);
  }
  if constexpr (SummariseOut) {
    so.finish(out, i, *out_summary);
  }
  reference_arithmetic_run(Op, x, y, out, i, n, x_summary, y_summary, out_summary);
}

template <class A, Arithmetic Op>
void simd_arithmetic_op(const double* x, const double* y, double* out, std::size_t n,
                        Summary<double>* sx, Summary<double>* sy, Summary<double>* so) noexcept {
  const int asked = (sx != nullptr ? 1 : 0) | (sy != nullptr ? 2 : 0) | (so != nullptr ? 4 : 0);
  switch (asked) {
    case 0:
      return simd_arithmetic_as<A, Op, false, false, false>(x, y, out, n, sx, sy, so);
    case 1:
      return simd_arithmetic_as<A, Op, true, false, false>(x, y, out, n, sx, sy, so);
    case 2:
      return simd_arithmetic_as<A, Op, false, true, false>(x, y, out, n, sx, sy, so);
    case 3:
      return simd_arithmetic_as<A, Op, true, true, false>(x, y, out, n, sx, sy, so);
    case 4:
      return simd_arithmetic_as<A, Op, false, false, true>(x, y, out, n, sx, sy, so);
    case 5:
      return simd_arithmetic_as<A, Op, true, false, true>(x, y, out, n, sx, sy, so);
    case 6:
      return simd_arithmetic_as<A, Op, false, true, true>(x, y, out, n, sx, sy, so);
    default:
      return simd_arithmetic_as<A, Op, true, true, true>(x, y, out, n, sx, sy, so);
  }
}

template <class A>
void simd_arithmetic(Arithmetic op, const double* x, const double* y, double* out, std::size_t n,
                     Summary<double>* sx, Summary<double>* sy, Summary<double>* so) noexcept {
  // An operand the result overwrites could not be summarised again (LaneSummary): it is
  // summarised first, on its own.
  if (sx != nullptr && x == out) {
    merge_summary(*sx, simd_summary<A, double>(x, n));
    sx = nullptr;
  }
  if (sy != nullptr && y == out) {
    merge_summary(*sy, simd_summary<A, double>(y, n));
    sy = nullptr;
  }
  switch (op) {
    case Arithmetic::add:
      return simd_arithmetic_op<A, Arithmetic::add>(x, y, out, n, sx, sy, so);
    case Arithmetic::subtract:
      return simd_arithmetic_op<A, Arithmetic::subtract>(x, y, out, n, sx, sy, so);
    case Arithmetic::multiply:
      return simd_arithmetic_op<A, Arithmetic::multiply>(x, y, out, n, sx, sy, so);
    case Arithmetic::divide:
      break;
  }
  simd_arithmetic_op<A, Arithmetic::divide>(x, y, out, n, sx, sy, so);
}

template <class A, typename T>
constexpr TypedKernels<T> typed_kernels() noexcept {
  return {&simd_sum<A, T>,
          &simd_min<A, T>,
          &simd_max<A, T>,
          &simd_count<A, T>,
          &simd_summary<A, T>,
          &simd_histogram<A, T>,
          &block_sum<T, &simd_sum<A, T>>,
          &block_min<T, &simd_min<A, T>>,
          &block_max<T, &simd_max<A, T>>,
          &block_count<T, &simd_count<A, T>>,
          &block_summary<T, &simd_summary<A, T>>,
          &simd_block_histogram<A, T>,
          &simd_step<A, T>};
}

/// The table a per-instruction-set object exports. Constant-initialised: no code of
/// that object runs before a kernel is called on a CPU that has its instructions.
template <class A>
constexpr KernelTable make_table() noexcept {
  return {typed_kernels<A, float>(), typed_kernels<A, double>(), &simd_arithmetic<A>};
}

}  // namespace
}  // namespace sluice::kernels::detail
