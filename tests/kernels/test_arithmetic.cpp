// Elementwise arithmetic with summaries (arithmetic.hpp): on every Isa, every operation,
// every combination of summaries asked for and lengths around every vector width, the
// results are those of a plain loop bit for bit, and the summaries those of summary() on
// the operands and the result (sums to rounding; min, max and count exactly), merged
// into what the summaries held before. NaN and infinities included.
#include <criterion/criterion.h>

#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "kernel_data.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/arithmetic.hpp"
#include "sluice/kernels/reduce.hpp"

namespace k = sluice::kernels;
using k::Arithmetic;
using k::Summary;
using kernel_test::lengths;
using kernel_test::name;
using kernel_test::quiet_nan;

namespace {

constexpr std::array<Arithmetic, 4> operations{Arithmetic::add, Arithmetic::subtract,
                                               Arithmetic::multiply, Arithmetic::divide};

double plain(Arithmetic op, double a, double b) {
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

// Operands with NaNs, infinities and zeros sprinkled in.
std::vector<double> operand(std::size_t n, std::uint64_t seed) {
  auto values = kernel_test::uniform<double>(n, -50.0, 50.0, seed);
  for (std::size_t i = seed % 7; i < n; i += 13) {
    values[i] = quiet_nan<double>;
  }
  for (std::size_t i = seed % 5; i < n; i += 29) {
    values[i] = i % 2 == 0 ? kernel_test::infinity<double> : 0.0;
  }
  return values;
}

// `s` merged with the summary of `data`, as the kernel's must be.
Summary<double> expected(Summary<double> s, std::span<const double> data) {
  s.merge(k::summary(data, k::Isa::scalar));
  return s;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void check(const Summary<double>& got, const Summary<double>& want, const std::string& what) {
  const bool sums_agree = std::isnan(want.sum)
                              ? std::isnan(got.sum)
                              : got.sum == want.sum || std::fabs(got.sum - want.sum) <=
                                                           1e-12 * (1.0 + std::fabs(want.sum));
  cr_expect(sums_agree, "%s: sum %.17g, expected %.17g", what.c_str(), got.sum, want.sum);
  cr_expect(got.count == want.count, "%s: count %llu, expected %llu", what.c_str(),
            static_cast<unsigned long long>(got.count),
            static_cast<unsigned long long>(want.count));
  cr_expect(got.min == want.min, "%s: min %g, expected %g", what.c_str(), got.min, want.min);
  cr_expect(got.max == want.max, "%s: max %g, expected %g", what.c_str(), got.max, want.max);
}

}  // namespace

Test(arithmetic, matches_a_plain_loop_and_summary_on_every_isa) {
  for (const k::Isa isa : k::available_isas()) {
    for (const Arithmetic op : operations) {
      for (const std::size_t n : lengths) {
        if (n > 5000) {
          continue;  // an element-by-element check of 65537 takes long and adds no path
        }
        const auto x = operand(n, 2 * n + 1);
        const auto y = operand(n, 3 * n + 2);
        for (int asked = 0; asked < 8; ++asked) {
          // Summaries that already hold something: the kernel merges into them.
          const Summary<double> before{.sum = 1.5, .min = -7.0, .max = 7.0, .count = 3};
          Summary<double> sx = before, sy = before, so = before;
          std::vector<double> out(n, -1.0);
          k::arithmetic(op, x, y, out,
                        {.x = (asked & 1) != 0 ? &sx : nullptr,
                         .y = (asked & 2) != 0 ? &sy : nullptr,
                         .out = (asked & 4) != 0 ? &so : nullptr},
                        isa);
          const std::string what = name(isa) + " op " + std::to_string(static_cast<int>(op)) +
                                   " n " + std::to_string(n) + " asked " + std::to_string(asked);
          std::vector<double> want(n);
          for (std::size_t i = 0; i < n; ++i) {
            want[i] = plain(op, x[i], y[i]);
            cr_expect(same_bits(out[i], want[i]) || (std::isnan(out[i]) && std::isnan(want[i])),
                      "%s: element %zu is %g, expected %g", what.c_str(), i, out[i], want[i]);
          }
          check(sx, (asked & 1) != 0 ? expected(before, x) : before, what + " x");
          check(sy, (asked & 2) != 0 ? expected(before, y) : before, what + " y");
          check(so, (asked & 4) != 0 ? expected(before, want) : before, what + " out");
        }
      }
    }
  }
}

Test(arithmetic, writes_in_place) {
  for (const k::Isa isa : k::available_isas()) {
    auto x = operand(1000, 5);
    const auto y = operand(1000, 6);
    const auto original = x;
    Summary<double> sx, so;
    k::arithmetic(Arithmetic::subtract, x, y, x, {.x = &sx, .out = &so}, isa);
    std::vector<double> want(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      want[i] = original[i] - y[i];
      cr_expect(same_bits(x[i], want[i]) || (std::isnan(x[i]) && std::isnan(want[i])),
                "%s: element %zu", name(isa).c_str(), i);
    }
    check(sx, expected({}, original), name(isa) + " x in place");
    check(so, expected({}, want), name(isa) + " out in place");
  }
}

Test(arithmetic, refuses_operands_of_other_sizes) {
  const std::vector<double> x(4, 1.0), y(5, 1.0);
  std::vector<double> out(4);
  bool has_thrown = false;
  try {
    k::arithmetic(Arithmetic::add, x, y, out, {});
  } catch (const sluice::InvalidArgument&) {
    has_thrown = true;
  }
  cr_expect(has_thrown);
}
