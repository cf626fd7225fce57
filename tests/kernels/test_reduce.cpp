#include <criterion/criterion.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "kernel_data.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/reduce.hpp"

namespace k = sluice::kernels;
using k::Isa;
using kernel_test::infinity;
using kernel_test::lengths;
using kernel_test::name;
using kernel_test::quiet_nan;
using kernel_test::type_name;
using kernel_test::uniform;

namespace {

// Independent of the kernels: a long double sum (64-bit mantissa) is exact enough to
// judge double sums of these sizes.
template <typename T>
struct Oracle {
  long double sum = 0;
  long double abs_sum = 0;
  T min = infinity<T>;
  T max = -infinity<T>;
  std::uint64_t count = 0;
};

template <typename T>
Oracle<T> oracle(std::span<const T> data) {
  Oracle<T> o;
  for (const T x : data) {
    if (std::isnan(x)) {
      continue;
    }
    o.sum += x;
    o.abs_sum += std::fabs(static_cast<long double>(x));
    o.min = std::fmin(o.min, x);
    o.max = std::fmax(o.max, x);
    ++o.count;
  }
  return o;
}

// Any order of n additions in double is within (n - 1)·u·Σ|x| of the exact sum
// (u = 2^-53), so two of them are within n·ε·Σ|x| of each other (ε = 2u).
double sum_tolerance(std::size_t n, long double abs_sum) {
  return static_cast<double>(static_cast<long double>(n) * DBL_EPSILON * abs_sum);
}

// Checks every kernel on every Isa against the scalar reference and the oracle.
template <typename T>
void check_all(std::span<const T> data, const char* what) {
  const Oracle<T> o = oracle(data);
  const double tolerance = sum_tolerance(data.size(), o.abs_sum);
  const double reference_sum = k::sum(data, Isa::scalar);
  cr_assert_leq(std::fabs(static_cast<long double>(reference_sum) - o.sum), tolerance,
                "%s %s n=%zu: scalar sum %.17g, exact %.17Lg", type_name<T>(), what, data.size(),
                reference_sum, o.sum);
  for (const Isa isa : k::available_isas()) {
    const auto n = data.size();
    const char* type = type_name<T>();
    const std::string isa_s = name(isa);
    const double sum = k::sum(data, isa);
    cr_assert_leq(std::fabs(sum - reference_sum), tolerance,
                  "%s %s %s n=%zu: sum %.17g, scalar %.17g", isa_s.c_str(), type, what, n, sum,
                  reference_sum);
    cr_assert_eq(k::min(data, isa), o.min, "%s %s %s n=%zu: min %g, expected %g", isa_s.c_str(),
                 type, what, n, static_cast<double>(k::min(data, isa)), static_cast<double>(o.min));
    cr_assert_eq(k::max(data, isa), o.max, "%s %s %s n=%zu: max %g, expected %g", isa_s.c_str(),
                 type, what, n, static_cast<double>(k::max(data, isa)), static_cast<double>(o.max));
    cr_assert_eq(k::count(data, isa), o.count, "%s %s %s n=%zu: count %llu, expected %llu",
                 isa_s.c_str(), type, what, n, static_cast<unsigned long long>(k::count(data, isa)),
                 static_cast<unsigned long long>(o.count));
    const k::Summary<T> s = k::summary(data, isa);
    cr_assert_leq(std::fabs(s.sum - reference_sum), tolerance,
                  "%s %s %s n=%zu: summary sum %.17g, scalar %.17g", isa_s.c_str(), type, what, n,
                  s.sum, reference_sum);
    cr_assert_eq(s.min, o.min, "%s %s %s n=%zu: summary min", isa_s.c_str(), type, what, n);
    cr_assert_eq(s.max, o.max, "%s %s %s n=%zu: summary max", isa_s.c_str(), type, what, n);
    cr_assert_eq(s.count, o.count, "%s %s %s n=%zu: summary count", isa_s.c_str(), type, what, n);
  }
  // The overloads without an Isa run the best one.
  cr_assert_eq(k::count(data), o.count);
  cr_assert_eq(k::min(data), o.min);
  cr_assert_eq(k::max(data), o.max);
}

template <typename T>
void check_random_lengths() {
  for (const std::size_t n : lengths) {
    // One element more than needed, so that the span can also start off alignment.
    const std::vector<T> values = uniform<T>(n + 1, T{-100}, T{100}, n);
    check_all(std::span<const T>(values).first(n), "random");
    check_all(std::span<const T>(values).subspan(1), "random, unaligned");
    const std::vector<T> positive = uniform<T>(n, T{0}, T{100}, n + 7);
    check_all(std::span<const T>(positive), "positive");
  }
}

// NaNs first, last, alone in a vector, and in runs: wherever they are, they are skipped.
template <typename T>
void check_nans() {
  for (const std::size_t n : lengths) {
    if (n == 0) {
      continue;
    }
    std::vector<T> values = uniform<T>(n, T{-100}, T{100}, 3 * n);
    values.front() = quiet_nan<T>;
    values.back() = quiet_nan<T>;
    for (std::size_t i = 0; i < n; i += 7) {
      values[i] = quiet_nan<T>;
    }
    check_all(std::span<const T>(values), "with NaNs");
    // The extreme values right next to a NaN.
    if (n >= 3) {
      values[1] = T{-1000};
      values[n - 2] = T{1000};
      check_all(std::span<const T>(values), "with NaNs next to the extremes");
    }
  }
}

template <typename T>
void check_identities(std::span<const T> data) {
  for (const Isa isa : k::available_isas()) {
    cr_assert_eq(k::sum(data, isa), 0.0, "%s", name(isa).c_str());
    cr_assert_eq(k::count(data, isa), 0u, "%s", name(isa).c_str());
    cr_assert_eq(k::min(data, isa), infinity<T>, "%s", name(isa).c_str());
    cr_assert_eq(k::max(data, isa), -infinity<T>, "%s", name(isa).c_str());
    const k::Summary<T> s = k::summary(data, isa);
    cr_assert_eq(s.sum, 0.0);
    cr_assert_eq(s.count, 0u);
    cr_assert_eq(s.min, infinity<T>);
    cr_assert_eq(s.max, -infinity<T>);
    cr_assert(std::isnan(s.mean()));
  }
}

}  // namespace

Test(reduce, every_isa_matches_the_reference_float) { check_random_lengths<float>(); }

Test(reduce, every_isa_matches_the_reference_double) { check_random_lengths<double>(); }

Test(reduce, nans_are_skipped_by_every_kernel_float) { check_nans<float>(); }

Test(reduce, nans_are_skipped_by_every_kernel_double) { check_nans<double>(); }

Test(reduce, empty_input_gives_zero_sum_zero_count_and_infinite_min_max) {
  check_identities(std::span<const float>());
  check_identities(std::span<const double>());
}

Test(reduce, input_of_only_nans_is_like_empty_input) {
  for (const std::size_t n : {1, 5, 16, 100}) {
    const std::vector<float> f(n, quiet_nan<float>);
    const std::vector<double> d(n, quiet_nan<double>);
    check_identities(std::span<const float>(f));
    check_identities(std::span<const double>(d));
  }
}

Test(reduce, infinities_are_ordinary_values) {
  for (const Isa isa : k::available_isas()) {
    std::vector<double> values(100, 1.0);
    values[37] = infinity<double>;
    cr_assert_eq(k::max(std::span<const double>(values), isa), infinity<double>);
    cr_assert_eq(k::sum(std::span<const double>(values), isa), infinity<double>);
    cr_assert_eq(k::count(std::span<const double>(values), isa), 100u);
    values[62] = -infinity<double>;
    cr_assert_eq(k::min(std::span<const double>(values), isa), -infinity<double>);
    cr_assert(std::isnan(k::sum(std::span<const double>(values), isa)), "%s: inf - inf",
              name(isa).c_str());
    cr_assert(std::isnan(k::summary(std::span<const double>(values), isa).sum));
  }
}

Test(reduce, sums_of_whole_numbers_are_exact) {
  for (const std::size_t n : lengths) {
    std::vector<float> f(n);
    std::vector<double> d(n);
    for (std::size_t i = 0; i < n; ++i) {
      f[i] = static_cast<float>(i + 1);
      d[i] = static_cast<double>(i + 1);
    }
    const double expected = static_cast<double>(n) * static_cast<double>(n + 1) / 2;
    for (const Isa isa : k::available_isas()) {
      cr_assert_eq(k::sum(std::span<const float>(f), isa), expected, "%s n=%zu", name(isa).c_str(),
                   n);
      cr_assert_eq(k::sum(std::span<const double>(d), isa), expected);
      if (n > 0) {
        cr_assert_eq(k::summary(std::span<const float>(f), isa).mean(),
                     expected / static_cast<double>(n));
      }
    }
  }
}

Test(reduce, float_sums_are_accumulated_in_double) {
  // A float accumulator stops at 2^24: 2^24 + 1 rounds back to 2^24.
  std::vector<float> values(1001, 1.0f);
  values[0] = 16777216.0f;
  for (const Isa isa : k::available_isas()) {
    cr_assert_eq(k::sum(std::span<const float>(values), isa), 16777216.0 + 1000, "%s",
                 name(isa).c_str());
    cr_assert_eq(k::summary(std::span<const float>(values), isa).sum, 16777216.0 + 1000);
  }
}

Test(reduce, counts_past_two_to_the_24_are_exact, .timeout = 60) {
  // float lanes count exactly only to 2^24; the count kernel works in chunks below that.
  const std::size_t n = (std::size_t{1} << 24) + 3 * 64 + 5;
  std::vector<float> values(n, 1.0f);
  values[12345] = quiet_nan<float>;
  values[n - 1] = quiet_nan<float>;
  for (const Isa isa : k::available_isas()) {
    cr_assert_eq(k::count(std::span<const float>(values), isa), n - 2, "%s", name(isa).c_str());
    const k::Summary<float> s = k::summary(std::span<const float>(values), isa);
    cr_assert_eq(s.count, n - 2);
    cr_assert_eq(s.sum, static_cast<double>(n - 2));
  }
}

Test(reduce, zeros_of_either_sign_compare_equal) {
  std::vector<double> values(40, 0.0);
  for (std::size_t i = 0; i < values.size(); i += 3) {
    values[i] = -0.0;
  }
  for (const Isa isa : k::available_isas()) {
    cr_assert_eq(k::min(std::span<const double>(values), isa), 0.0);
    cr_assert_eq(k::max(std::span<const double>(values), isa), 0.0);
  }
}

Test(reduce, summaries_of_blocks_merge_into_the_summary_of_the_whole) {
  const std::vector<double> values = uniform<double>(10000, -5.0, 50.0, 11);
  const std::span<const double> all(values);
  k::Summary<double> merged;
  for (std::size_t begin = 0; begin < values.size(); begin += 999) {
    merged.merge(k::summary(all.subspan(begin, std::min<std::size_t>(999, values.size() - begin))));
  }
  merged.merge(k::Summary<double>{});  // an empty block changes nothing
  const k::Summary<double> whole = k::summary(all);
  cr_assert_eq(merged.count, whole.count);
  cr_assert_eq(merged.min, whole.min);
  cr_assert_eq(merged.max, whole.max);
  cr_assert_leq(std::fabs(merged.sum - whole.sum), sum_tolerance(values.size(), 55.0L * 10000));
  cr_assert_leq(std::fabs(merged.mean() - whole.mean()), 1e-12);
}

Test(reduce, an_isa_that_is_not_available_is_an_invalid_argument) {
  const std::vector<double> values(10, 1.0);
  const auto bogus = static_cast<Isa>(42);
  cr_assert_throw((void)k::sum(std::span<const double>(values), bogus), sluice::InvalidArgument);
  cr_assert_throw((void)k::summary(std::span<const double>(values), bogus),
                  sluice::InvalidArgument);
  try {
    (void)k::min(std::span<const double>(values), bogus);
    cr_assert_fail("no exception");
  } catch (const sluice::InvalidArgument& e) {
    cr_assert_not_null(std::strstr(e.what(), "available_isas()"), "%s", e.what());
  }
}
