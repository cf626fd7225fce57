// The fused pass (step_statistics.hpp): on every case of strided_cases.hpp, every
// History, previous values laid out three ways and every Isa, the same summary and
// histogram as the separate kernels, the change computed element by element here, and
// the previous values overwritten exactly where (and only where) it was asked.
#include <criterion/criterion.h>

#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "kernel_data.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/step_statistics.hpp"
#include "strided_cases.hpp"

namespace k = sluice::kernels;
using k::HistogramSpec;
using k::History;
using k::Isa;
using k::StepStatistics;
using k::StridedBlock;
using kernel_test::block_cases;
using kernel_test::BlockCase;
using kernel_test::name;
using kernel_test::quiet_nan;
using kernel_test::type_name;

namespace {

constexpr std::array<History, 4> histories{History::ignore, History::compare, History::store,
                                           History::compare_and_store};

const char* history_name(History h) {
  switch (h) {
    case History::ignore:
      return "ignore";
    case History::compare:
      return "compare";
    case History::store:
      return "store";
    case History::compare_and_store:
      return "compare_and_store";
  }
  return "?";
}

// Where the previous values live: the reader's own buffer, whatever the current block's
// strides are.
enum class Layout { packed, padded, every_other };

constexpr std::array<Layout, 3> layouts{Layout::packed, Layout::padded, Layout::every_other};

const char* layout_name(Layout l) {
  return l == Layout::packed ? "packed" : l == Layout::padded ? "padded rows" : "every other";
}

// Strides for `count` laid out as asked, and the buffer size they need.
std::vector<std::int64_t> strides_for(const std::vector<std::int64_t>& count, Layout layout,
                                      std::size_t& size) {
  std::vector<std::int64_t> strides(count.size());
  std::int64_t step = layout == Layout::every_other ? 2 : 1;
  for (std::size_t d = count.size(); d-- > 0;) {
    strides[d] = step;
    step *= count[d] + (layout == Layout::padded ? 3 : 0);
  }
  size = static_cast<std::size_t>(step) + 8;
  return strides;
}

constexpr double guard = -12345.0;  // outside every block: must never be written

bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

template <typename T>
void check(const BlockCase& c, Layout layout, History history, std::uint64_t seed) {
  const std::vector<T> buffer = kernel_test::case_buffer<T>(c, seed);
  const StridedBlock<const T> current(buffer.data() + c.offset, c.count, c.strides);
  const std::vector<T> now = kernel_test::gather(current);
  const std::span<const T> flat(now);
  std::size_t previous_size = 0;
  const std::vector<std::int64_t> previous_strides = strides_for(c.count, layout, previous_size);
  // Previous values: the current ones moved a little, with NaNs of their own.
  std::vector<T> before_values = kernel_test::uniform<T>(now.size(), T{-3}, T{3}, seed + 1);
  for (std::size_t i = 0; i < now.size(); ++i) {
    before_values[i] = i % 11 == 5 ? quiet_nan<T> : now[i] + before_values[i];
  }
  const HistogramSpec spec{0.0, 100.0, seed % 2 == 0 ? std::size_t{16} : std::size_t{300}};
  const std::vector<std::uint64_t> want_counts = k::histogram(flat, spec);
  const k::Summary<T> want = k::summary(flat, Isa::scalar);
  long double want_change = 0;
  long double change_scale = 0;
  std::uint64_t want_changed = 0;
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (!std::isnan(now[i]) && !std::isnan(before_values[i])) {
      const double d = static_cast<double>(now[i]) - static_cast<double>(before_values[i]);
      want_change += d;
      change_scale += std::isfinite(d) ? std::fabs(d) : 0.0;
      ++want_changed;
    }
  }
  const bool compares = history == History::compare || history == History::compare_and_store;
  const bool stores = history == History::store || history == History::compare_and_store;

  for (const Isa isa : k::available_isas()) {
    std::vector<T> previous(previous_size, static_cast<T>(guard));
    const StridedBlock<T> before(previous.data(), c.count, previous_strides);
    {  // write the previous values into their cells, in row-major order
      std::size_t i = 0;
      const auto& n = before.counts();
      const auto& s = before.strides();
      for (std::size_t a = 0; a < n[0]; ++a) {
        for (std::size_t b = 0; b < n[1]; ++b) {
          for (std::size_t e = 0; e < n[2]; ++e) {
            previous[a * s[0] + b * s[1] + e * s[2]] = before_values[i++];
          }
        }
      }
    }
    const std::vector<T> untouched = previous;
    std::vector<std::uint64_t> counts(spec.bins, 0);
    const StepStatistics<T> r =
        history == History::ignore
            ? k::step_statistics(current, StridedBlock<T>(), history, spec, counts, isa)
            : k::step_statistics(current, before, history, spec, counts, isa);
    const std::string what = name(isa) + " " + type_name<T>() + " " + c.what + ", previous " +
                             layout_name(layout) + ", " + history_name(history);
    const double tolerance =
        static_cast<double>(static_cast<long double>(now.size() + 1) * DBL_EPSILON);
    long double abs_sum = 0;
    for (const T x : now) {
      abs_sum += std::isfinite(x) ? std::fabs(static_cast<long double>(x)) : 0.0L;
    }
    cr_assert(same_value(r.summary.sum, want.sum) ||
                  std::fabs(r.summary.sum - want.sum) <= tolerance * static_cast<double>(abs_sum),
              "%s: sum %.17g, expected %.17g", what.c_str(), r.summary.sum, want.sum);
    cr_assert_eq(r.summary.min, want.min, "%s: min", what.c_str());
    cr_assert_eq(r.summary.max, want.max, "%s: max", what.c_str());
    cr_assert_eq(r.summary.count, want.count, "%s: count", what.c_str());
    cr_assert(counts == want_counts, "%s: histogram differs", what.c_str());
    if (compares) {
      const auto expected = static_cast<double>(want_change);
      cr_assert(
          same_value(r.change_sum, expected) ||
              std::fabs(r.change_sum - expected) <= tolerance * static_cast<double>(change_scale),
          "%s: change %.17g, expected %.17g", what.c_str(), r.change_sum, expected);
      cr_assert_eq(r.change_count, want_changed, "%s: changed cells", what.c_str());
    } else {
      cr_assert_eq(r.change_sum, 0.0, "%s", what.c_str());
      cr_assert_eq(r.change_count, 0u, "%s", what.c_str());
    }
    const std::vector<T> after = kernel_test::gather(StridedBlock<const T>(before));
    for (std::size_t i = 0; i < now.size(); ++i) {
      const T expected = stores ? now[i] : before_values[i];
      cr_assert(same_value(after[i], expected), "%s: previous value %zu is %g, expected %g",
                what.c_str(), i, static_cast<double>(after[i]), static_cast<double>(expected));
    }
    // Nothing outside the cells moved (the guards), and nothing at all without a store.
    std::size_t guards = 0;
    for (std::size_t i = 0; i < previous.size(); ++i) {
      guards += untouched[i] == static_cast<T>(guard) ? 1 : 0;
      if (untouched[i] == static_cast<T>(guard)) {
        cr_assert_eq(previous[i], static_cast<T>(guard), "%s: wrote outside the block at %zu",
                     what.c_str(), i);
      }
    }
    cr_assert_geq(guards, 8u);
  }
}

template <typename T>
void check_every_case() {
  std::uint64_t seed = 0;
  for (const BlockCase& c : block_cases) {
    for (const Layout layout : layouts) {
      for (const History history : histories) {
        check<T>(c, layout, history, seed++);
      }
    }
  }
}

}  // namespace

Test(step_statistics, every_case_history_and_isa_matches_the_separate_kernels_float) {
  check_every_case<float>();
}
Test(step_statistics, every_case_history_and_isa_matches_the_separate_kernels_double) {
  check_every_case<double>();
}

// Reading the previous values in the very memory that is being written: each one is
// read before it is overwritten, so the change against itself is zero.
Test(step_statistics, previous_values_in_the_same_memory_are_read_before_being_written) {
  std::vector<double> field = kernel_test::uniform<double>(5000, 0.0, 100.0, 9);
  const std::vector<double> copy = field;
  for (const Isa isa : k::available_isas()) {
    std::vector<std::uint64_t> counts(16, 0);
    const StridedBlock<double> block{std::span<double>(field)};
    const auto r = k::step_statistics(block, block, History::compare_and_store,
                                      HistogramSpec{0.0, 100.0, 16}, counts, isa);
    cr_assert_eq(r.change_sum, 0.0, "%s", name(isa).c_str());
    cr_assert_eq(r.change_count, 5000u);
    cr_assert(field == copy);
  }
}

// Blocks merged one by one give what one pass over all their cells gives.
Test(step_statistics, merged_blocks_add_up) {
  std::vector<double> a = kernel_test::uniform<double>(300, 0.0, 100.0, 1);
  std::vector<double> b = kernel_test::uniform<double>(200, 0.0, 100.0, 2);
  std::vector<double> pa(300, 1.0), pb(200, 2.0);
  std::vector<std::uint64_t> counts(16, 0);
  const HistogramSpec spec{0.0, 100.0, 16};
  StepStatistics<double> total;
  total.merge(k::step_statistics(StridedBlock<const double>{std::span<const double>(a)},
                                 StridedBlock<double>{std::span<double>(pa)}, History::compare,
                                 spec, counts));
  total.merge(k::step_statistics(StridedBlock<const double>{std::span<const double>(b)},
                                 StridedBlock<double>{std::span<double>(pb)}, History::compare,
                                 spec, counts));
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  const auto s = k::summary(std::span<const double>(all));
  cr_assert_eq(total.summary.count, 500u);
  cr_assert_eq(total.summary.min, s.min);
  cr_assert_eq(total.summary.max, s.max);
  cr_assert_float_eq(total.summary.sum, s.sum, 1e-9 * s.sum);
  cr_assert_float_eq(total.change_sum, s.sum - 300.0 - 400.0, 1e-9 * s.sum);
  cr_assert_eq(total.change_count, 500u);
  cr_assert(counts == k::histogram(std::span<const double>(all), spec));
}

Test(step_statistics, bad_arguments_are_invalid_arguments) {
  std::vector<double> x(12, 1.0), p(12, 0.0);
  const std::vector<std::int64_t> c34{3, 4}, c43{4, 3}, s4{4, 1}, s3{3, 1};
  const StridedBlock<const double> current(x.data(), c34, s4);
  const StridedBlock<double> other_shape(p.data(), c43, s3);
  const StridedBlock<double> same_shape(p.data(), c34, s4);
  std::vector<std::uint64_t> counts(16);
  const HistogramSpec spec{0.0, 100.0, 16};
  cr_assert_throw((void)k::step_statistics(current, other_shape, History::compare, spec, counts),
                  sluice::InvalidArgument);
  // The counts matter, not how many elements there are: [3, 4] is not [12].
  const StridedBlock<double> flat{std::span<double>(p)};
  cr_assert_throw((void)k::step_statistics(current, flat, History::store, spec, counts),
                  sluice::InvalidArgument);
  // Ignored previous values need no shape.
  cr_assert_eq(
      k::step_statistics(current, other_shape, History::ignore, spec, counts).summary.count, 12u);
  std::vector<std::uint64_t> wrong(15);
  cr_assert_throw((void)k::step_statistics(current, same_shape, History::compare, spec, wrong),
                  sluice::InvalidArgument);
  cr_assert_throw((void)k::step_statistics(current, same_shape, History::compare,
                                           HistogramSpec{0.0, 0.0, 16}, counts),
                  sluice::InvalidArgument);
  cr_assert_throw((void)k::step_statistics(current, same_shape, History::compare, spec, counts,
                                           static_cast<Isa>(42)),
                  sluice::InvalidArgument);
  try {
    (void)k::step_statistics(current, other_shape, History::compare, spec, counts);
  } catch (const sluice::InvalidArgument& e) {
    cr_assert(std::string(e.what()).find("[1, 3, 4]") != std::string::npos, "%s", e.what());
  }
}
