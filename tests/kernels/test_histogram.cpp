#include <criterion/criterion.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "kernel_data.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/histogram.hpp"

namespace k = sluice::kernels;
using k::HistogramSpec;
using k::Isa;
using kernel_test::infinity;
using kernel_test::lengths;
using kernel_test::name;
using kernel_test::quiet_nan;
using kernel_test::type_name;
using kernel_test::uniform;

namespace {

// The definition, written independently of the kernels: floor((x - lo) / (hi - lo) * bins)
// in the element type, the result `bins` in the last bin, nothing outside [lo, hi].
template <typename T>
std::vector<std::uint64_t> oracle(std::span<const T> data, const HistogramSpec& spec) {
  const auto lo = static_cast<T>(spec.lo);
  const auto hi = static_cast<T>(spec.hi);
  std::vector<std::uint64_t> counts(spec.bins);
  for (const T x : data) {
    if (std::isnan(x) || x < lo || x > hi) {
      continue;
    }
    const T bin = std::floor((x - lo) / (hi - lo) * static_cast<T>(spec.bins));
    ++counts[std::min(static_cast<std::size_t>(bin), spec.bins - 1)];
  }
  return counts;
}

template <typename T>
void check_every_isa(std::span<const T> data, const HistogramSpec& spec, const char* what) {
  const std::vector<std::uint64_t> expected = oracle(data, spec);
  for (const Isa isa : k::available_isas()) {
    std::vector<std::uint64_t> counts(spec.bins);
    k::histogram(data, spec, counts, isa);
    for (std::size_t b = 0; b < spec.bins; ++b) {
      cr_assert_eq(counts[b], expected[b],
                   "%s %s %s n=%zu, [%g, %g] in %zu bins: bin %zu has %llu, expected %llu",
                   name(isa).c_str(), type_name<T>(), what, data.size(), spec.lo, spec.hi,
                   spec.bins, b, static_cast<unsigned long long>(counts[b]),
                   static_cast<unsigned long long>(expected[b]));
    }
  }
}

const HistogramSpec heat2d{0.0, 100.0, 16};

// Ranges whose edges are exact and inexact in binary, one bin, small and large ranges,
// and bin counts on both sides of the 4-copy limit (1024) and the stack buffer (256).
const std::vector<HistogramSpec> specs{
    heat2d,
    {-3.7, 12.9, 7},
    {0.0, 1.0, 1},
    {-1e3, 1e3, 1000},
    {0.0, 100.0, 5000},
    {1e-3, 2e-3, 3},
    {-1e-30, 1e-30, 10},
    {1e6, 1e6 + 1.0, 300},
};

// The values next to every bin edge (as the element type computes it): the edge and the
// next few representable values on either side. Most likely to expose a difference in
// rounding between the vector and scalar versions.
template <typename T>
std::vector<T> values_at_edges(const HistogramSpec& spec, int steps) {
  const auto lo = static_cast<T>(spec.lo);
  const auto hi = static_cast<T>(spec.hi);
  std::vector<T> values;
  for (std::size_t edge = 0; edge <= spec.bins; ++edge) {
    T at = lo + (hi - lo) * static_cast<T>(edge) / static_cast<T>(spec.bins);
    T below = at;
    T above = at;
    values.push_back(at);
    for (int s = 0; s < steps; ++s) {
      below = std::nextafter(below, -infinity<T>);
      above = std::nextafter(above, infinity<T>);
      values.push_back(below);
      values.push_back(above);
    }
  }
  return values;
}

template <typename T>
void check_random_data() {
  for (const HistogramSpec& spec : specs) {
    const auto lo = static_cast<T>(spec.lo);
    const auto hi = static_cast<T>(spec.hi);
    const T margin = (hi - lo) / T{10};
    for (const std::size_t n : lengths) {
      std::vector<T> values = uniform<T>(n + 1, lo - margin, hi + margin, n);
      for (std::size_t i = 5; i < values.size(); i += 41) {
        values[i] = quiet_nan<T>;
      }
      for (std::size_t i = 9; i < values.size(); i += 97) {
        values[i] = (i % 2 == 0) ? infinity<T> : -infinity<T>;
      }
      check_every_isa(std::span<const T>(values).first(n), spec, "random");
      check_every_isa(std::span<const T>(values).subspan(1), spec, "random, unaligned");
    }
  }
}

template <typename T>
void check_edges() {
  for (const HistogramSpec& spec : specs) {
    std::vector<T> values = values_at_edges<T>(spec, 4);
    check_every_isa(std::span<const T>(values), spec, "at edges");
    std::reverse(values.begin(), values.end());
    check_every_isa(std::span<const T>(values), spec, "at edges, reversed");
  }
}

template <typename T>
void check_heat2d_cases() {
  const std::vector<T> cases{T{0},
                             T{-0.0},
                             T{6.25},
                             std::nextafter(T{6.25}, T{0}),
                             T{93.75},
                             T{99.99},
                             T{100},
                             T{50},
                             std::nextafter(T{0}, T{-1}),
                             std::nextafter(T{100}, T{200}),
                             T{-5},
                             T{150},
                             quiet_nan<T>,
                             infinity<T>,
                             -infinity<T>};
  std::vector<std::uint64_t> expected(16);
  expected[0] = 3;   // 0; -0, equal to lo and so inside; the value just below 6.25
  expected[1] = 1;   // 6.25 opens bin 1
  expected[8] = 1;   // 50
  expected[15] = 3;  // 93.75 opens the last bin; 99.99; 100 closes it
  // Each case once, then repeated so that the vector code (64-element blocks) sees it too.
  for (const std::size_t repeat : {1, 10}) {
    std::vector<T> values;
    for (std::size_t r = 0; r < repeat; ++r) {
      values.insert(values.end(), cases.begin(), cases.end());
    }
    for (const Isa isa : k::available_isas()) {
      std::vector<std::uint64_t> counts(16);
      k::histogram(std::span<const T>(values), heat2d, counts, isa);
      for (std::size_t b = 0; b < 16; ++b) {
        cr_assert_eq(counts[b], repeat * expected[b], "%s %s bin %zu: %llu", name(isa).c_str(),
                     type_name<T>(), b, static_cast<unsigned long long>(counts[b]));
      }
    }
  }
}

}  // namespace

Test(histogram, heat2d_bins_are_closed_on_the_left_and_the_last_on_both_sides) {
  check_heat2d_cases<float>();
  check_heat2d_cases<double>();
}

Test(histogram, every_isa_matches_the_formula_on_random_data_float) { check_random_data<float>(); }

Test(histogram, every_isa_matches_the_formula_on_random_data_double) {
  check_random_data<double>();
}

Test(histogram, values_next_to_every_edge_land_where_the_formula_says_float) {
  check_edges<float>();
}

Test(histogram, values_next_to_every_edge_land_where_the_formula_says_double) {
  check_edges<double>();
}

Test(histogram, every_float_near_the_heat2d_edges_lands_where_the_formula_says) {
  // Exhaustive: the 2^15 floats on either side of each of the 17 edges of [0, 100].
  std::vector<float> values;
  for (const float edge : values_at_edges<float>(heat2d, 0)) {
    float below = edge;
    float above = edge;
    for (int s = 0; s < (1 << 15); ++s) {
      values.push_back(below);
      values.push_back(above);
      below = std::nextafter(below, -infinity<float>);
      above = std::nextafter(above, infinity<float>);
    }
  }
  check_every_isa(std::span<const float>(values), heat2d, "near edges");
}

Test(histogram, long_runs_in_one_bin_are_counted_exactly) {
  // Narrow counters inside the vector code are spilled before they overflow; a run of
  // equal values drives one counter as fast as possible.
  for (const std::size_t bins : {std::size_t{1}, std::size_t{16}, std::size_t{17}}) {
    const HistogramSpec spec{0.0, 100.0, bins};
    for (const double value : {0.0, 50.0, 100.0, -1.0}) {
      for (const std::size_t n : {std::size_t{4095}, std::size_t{70001}}) {
        const std::vector<double> d(n, value);
        const std::vector<float> f(n, static_cast<float>(value));
        check_every_isa(std::span<const double>(d), spec, "constant");
        check_every_isa(std::span<const float>(f), spec, "constant");
      }
    }
  }
}

Test(histogram, counts_are_added_to) {
  const std::vector<double> values = uniform<double>(1000, -10.0, 110.0, 5);
  const std::span<const double> data(values);
  for (const Isa isa : k::available_isas()) {
    std::vector<std::uint64_t> counts(16);
    k::histogram(data, heat2d, counts, isa);
    k::histogram(data.first(500), heat2d, counts, isa);
    k::histogram(data.subspan(500), heat2d, counts, isa);
    const std::vector<std::uint64_t> once = oracle(data, heat2d);
    for (std::size_t b = 0; b < 16; ++b) {
      cr_assert_eq(counts[b], 2 * once[b], "%s bin %zu", name(isa).c_str(), b);
    }
  }
}

Test(histogram, the_vector_overload_returns_fresh_counts) {
  const std::vector<float> values = uniform<float>(777, -1.0f, 101.0f, 9);
  const std::span<const float> data(values);
  const std::vector<std::uint64_t> counts = k::histogram(data, heat2d);
  cr_assert_eq(counts.size(), 16u);
  cr_assert(counts == oracle(data, heat2d));
  std::uint64_t total = 0;
  for (const std::uint64_t c : counts) {
    total += c;
  }
  cr_assert_leq(total, values.size());
}

Test(histogram, invalid_specs_are_invalid_arguments) {
  const std::vector<double> d(10, 1.0);
  const std::vector<float> f(10, 1.0f);
  const double big = std::numeric_limits<double>::max();
  struct Case {
    HistogramSpec spec;
    bool is_valid_for_double;  // some ranges only overflow in float
  };
  const std::vector<Case> cases{
      {{1.0, 1.0, 4}, false},  // empty range
      {{2.0, 1.0, 4}, false},  // reversed
      {{quiet_nan<double>, 1.0, 4}, false},
      {{0.0, quiet_nan<double>, 4}, false},
      {{0.0, infinity<double>, 4}, false},
      {{-infinity<double>, 0.0, 4}, false},
      {{0.0, 1.0, 0}, false},  // no bins
      {{0.0, 1.0, k::max_histogram_bins + 1}, false},
      {{-big, big, 4}, false},        // hi - lo overflows
      {{-3e38, 3e38, 4}, true},       // ... in float only
      {{0.0, 1e39, 4}, true},         // hi is not a finite float
      {{1.0, 1.0 + 1e-12, 4}, true},  // lo == hi in float
  };
  for (const Case& c : cases) {
    std::vector<std::uint64_t> counts(c.spec.bins <= 16 ? c.spec.bins : 0);
    cr_assert_throw(k::histogram(std::span<const float>(f), c.spec, counts),
                    sluice::InvalidArgument, "float [%g, %g] in %zu bins", c.spec.lo, c.spec.hi,
                    c.spec.bins);
    cr_assert_throw((void)k::histogram(std::span<const float>(f), c.spec), sluice::InvalidArgument);
    if (c.is_valid_for_double) {
      cr_assert_no_throw(k::histogram(std::span<const double>(d), c.spec, counts), std::exception);
    } else {
      cr_assert_throw(k::histogram(std::span<const double>(d), c.spec, counts),
                      sluice::InvalidArgument, "double [%g, %g] in %zu bins", c.spec.lo, c.spec.hi,
                      c.spec.bins);
    }
  }
  // The largest allowed bin count is accepted.
  std::vector<std::uint64_t> many(k::max_histogram_bins);
  cr_assert_no_throw(k::histogram(std::span<const float>(f), {0.0, 1.0, many.size()}, many),
                     std::exception);
  cr_assert_eq(many[k::max_histogram_bins - 1], 10u, "1.0 is hi: the last bin");
}

Test(histogram, counts_of_the_wrong_size_and_unavailable_isas_are_invalid_arguments) {
  const std::vector<double> d(10, 1.0);
  std::vector<std::uint64_t> counts(15);
  try {
    k::histogram(std::span<const double>(d), heat2d, counts);
    cr_assert_fail("no exception");
  } catch (const sluice::InvalidArgument& e) {
    cr_assert_str_eq(e.problem().c_str(), "counts has 15 elements for 16 bins");
  }
  counts.resize(16);
  cr_assert_throw(k::histogram(std::span<const double>(d), heat2d, counts, static_cast<Isa>(42)),
                  sluice::InvalidArgument);
}
