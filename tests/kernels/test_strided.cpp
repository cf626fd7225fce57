// The reductions and the histogram over strided blocks: on every case of
// strided_cases.hpp and every Isa, the same results as the scalar reference on the
// block's elements copied out (sums to rounding, the rest exactly), alone and as a list
// of blocks taken together.
#include <criterion/criterion.h>

#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernel_data.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/reduce.hpp"
#include "strided_cases.hpp"

namespace k = sluice::kernels;
using k::HistogramSpec;
using k::Isa;
using k::StridedBlock;
using kernel_test::block_cases;
using kernel_test::BlockCase;
using kernel_test::infinity;
using kernel_test::name;
using kernel_test::type_name;

namespace {

// Sums in another order agree to n·ε·Σ|x| (see test_reduce.cpp); an infinite or NaN
// reference sum must be matched exactly.
template <typename T>
bool sums_agree(double actual, double expected, std::span<const T> data) {
  if (std::isnan(expected)) {
    return std::isnan(actual);
  }
  if (std::isinf(expected)) {
    return actual == expected;
  }
  long double abs_sum = 0;
  for (const T x : data) {
    abs_sum += std::isfinite(x) ? std::fabs(static_cast<long double>(x)) : 0.0L;
  }
  return std::fabs(actual - expected) <=
         static_cast<double>(static_cast<long double>(data.size()) * DBL_EPSILON * abs_sum);
}

const std::array<HistogramSpec, 3> specs{
    HistogramSpec{0.0, 100.0, 16},     // packed counting on AVX2 and AVX-512
    HistogramSpec{0.0, 100.0, 300},    // tables, scratch on the heap
    HistogramSpec{-5.0, 105.0, 3000},  // one table
};

template <typename T>
void check_case(const BlockCase& c, std::uint64_t seed) {
  const std::vector<T> buffer = kernel_test::case_buffer<T>(c, seed);
  const StridedBlock<const T> block(buffer.data() + c.offset, c.count, c.strides);
  const std::vector<T> elements = kernel_test::gather(block);
  const std::span<const T> flat(elements);
  cr_assert_eq(block.size(), elements.size(), "%s", c.what);
  const k::Summary<T> expected = k::summary(flat, Isa::scalar);
  for (const Isa isa : k::available_isas()) {
    const std::string isa_s = name(isa);
    const char* type = type_name<T>();
    const std::span<const StridedBlock<const T>> blocks(&block, 1);
    const double sum = k::sum(blocks, isa);
    cr_assert(sums_agree(sum, expected.sum, flat), "%s %s %s: sum %.17g, expected %.17g",
              isa_s.c_str(), type, c.what, sum, expected.sum);
    cr_assert_eq(k::min(blocks, isa), expected.min, "%s %s %s: min", isa_s.c_str(), type, c.what);
    cr_assert_eq(k::max(blocks, isa), expected.max, "%s %s %s: max", isa_s.c_str(), type, c.what);
    cr_assert_eq(k::count(blocks, isa), expected.count, "%s %s %s: count", isa_s.c_str(), type,
                 c.what);
    const k::Summary<T> s = k::summary(blocks, isa);
    cr_assert(sums_agree(s.sum, expected.sum, flat), "%s %s %s: summary sum", isa_s.c_str(), type,
              c.what);
    cr_assert_eq(s.min, expected.min, "%s %s %s: summary min", isa_s.c_str(), type, c.what);
    cr_assert_eq(s.max, expected.max, "%s %s %s: summary max", isa_s.c_str(), type, c.what);
    cr_assert_eq(s.count, expected.count, "%s %s %s: summary count", isa_s.c_str(), type, c.what);
    for (const HistogramSpec& spec : specs) {
      const std::vector<std::uint64_t> want = k::histogram(flat, spec);
      std::vector<std::uint64_t> counts(spec.bins, 0);
      k::histogram(blocks, spec, counts, isa);
      cr_assert(counts == want, "%s %s %s: histogram of %zu bins differs", isa_s.c_str(), type,
                c.what, spec.bins);
    }
  }
  // The overloads without an Isa, on one block.
  cr_assert_eq(k::count(block), expected.count, "%s", c.what);
  cr_assert_eq(k::min(block), expected.min, "%s", c.what);
  cr_assert_eq(k::max(block), expected.max, "%s", c.what);
  cr_assert(sums_agree(k::sum(block), expected.sum, flat), "%s", c.what);
  cr_assert_eq(k::summary(block).count, expected.count, "%s", c.what);
  std::vector<std::uint64_t> counts(16, 0);
  k::histogram(block, specs[0], counts);
  cr_assert(counts == k::histogram(flat, specs[0]), "%s", c.what);
}

template <typename T>
void check_every_case() {
  for (std::size_t i = 0; i < block_cases.size(); ++i) {
    check_case<T>(block_cases[i], i);
    check_case<T>(block_cases[i], i + 1000);
  }
}

// Several blocks taken together: the results of their elements all at once.
template <typename T>
void check_several_blocks() {
  std::vector<std::vector<T>> buffers;
  std::vector<StridedBlock<const T>> blocks;
  std::vector<T> all;
  for (std::size_t i = 0; i < block_cases.size(); ++i) {
    const BlockCase& c = block_cases[i];
    buffers.push_back(kernel_test::case_buffer<T>(c, 77 + i));
    blocks.emplace_back(buffers.back().data() + c.offset, c.count, c.strides);
    const std::vector<T> elements = kernel_test::gather(blocks.back());
    all.insert(all.end(), elements.begin(), elements.end());
  }
  const k::Summary<T> expected = k::summary(std::span<const T>(all), Isa::scalar);
  for (const Isa isa : k::available_isas()) {
    const k::Summary<T> s = k::summary(std::span<const StridedBlock<const T>>(blocks), isa);
    cr_assert(sums_agree(s.sum, expected.sum, std::span<const T>(all)), "%s", name(isa).c_str());
    cr_assert_eq(s.min, expected.min);
    cr_assert_eq(s.max, expected.max);
    cr_assert_eq(s.count, expected.count);
    std::vector<std::uint64_t> counts(16, 0);
    k::histogram(std::span<const StridedBlock<const T>>(blocks), specs[0], counts, isa);
    cr_assert(counts == k::histogram(std::span<const T>(all), specs[0]), "%s", name(isa).c_str());
  }
}

}  // namespace

Test(strided, every_case_on_every_isa_matches_the_reference_float) { check_every_case<float>(); }
Test(strided, every_case_on_every_isa_matches_the_reference_double) { check_every_case<double>(); }
Test(strided, several_blocks_are_taken_together_float) { check_several_blocks<float>(); }
Test(strided, several_blocks_are_taken_together_double) { check_several_blocks<double>(); }

Test(strided, no_blocks_give_the_identities) {
  const std::span<const StridedBlock<const double>> none;
  for (const Isa isa : k::available_isas()) {
    cr_assert_eq(k::sum(none, isa), 0.0);
    cr_assert_eq(k::count(none, isa), 0u);
    cr_assert_eq(k::min(none, isa), infinity<double>);
    cr_assert_eq(k::max(none, isa), -infinity<double>);
    std::vector<std::uint64_t> counts(16, 3);
    k::histogram(none, specs[0], counts, isa);
    cr_assert(counts == std::vector<std::uint64_t>(16, 3), "counts are added to, not reset");
  }
}

Test(strided, a_contiguous_span_is_a_one_dimensional_block) {
  std::vector<double> values = kernel_test::uniform<double>(100, 0.0, 1.0, 5);
  const StridedBlock<const double> block{std::span<const double>(values)};
  cr_assert_eq(block.size(), 100u);
  cr_assert(block.has_contiguous_rows());
  cr_assert(block.counts() == (std::array<std::size_t, 3>{1, 1, 100}));
  cr_assert_eq(k::summary(block).count, 100u);
  // A writable block converts to a read-only one.
  const StridedBlock<double> writable{std::span<double>(values)};
  const StridedBlock<const double> readable = writable;
  cr_assert_eq(readable.data(), values.data());
}

Test(strided, dimensions_are_kept_outermost_first_and_padded_with_ones) {
  const double x = 0.0;
  const std::vector<std::int64_t> count{4, 5}, strides{7, 1};
  const StridedBlock<const double> block(&x, count, strides);
  cr_assert(block.counts() == (std::array<std::size_t, 3>{1, 4, 5}));
  cr_assert(block.strides() == (std::array<std::ptrdiff_t, 3>{0, 7, 1}));
  cr_assert_eq(block.size(), 20u);
}

Test(strided, bad_shapes_are_invalid_arguments) {
  const double x = 0.0;
  const std::vector<std::int64_t> none, one{1}, two{1, 1}, four{1, 1, 1, 1}, negative{2, -1};
  cr_assert_throw(StridedBlock<const double>(&x, none, none), sluice::InvalidArgument);
  cr_assert_throw(StridedBlock<const double>(&x, four, four), sluice::InvalidArgument);
  cr_assert_throw(StridedBlock<const double>(&x, one, two), sluice::InvalidArgument);
  cr_assert_throw(StridedBlock<const double>(&x, negative, two), sluice::InvalidArgument);
  try {
    (void)StridedBlock<const double>(&x, negative, two);
  } catch (const sluice::InvalidArgument& e) {
    cr_assert(std::string(e.what()).find("negative count") != std::string::npos, "%s", e.what());
  }
}

Test(strided, a_bad_spec_or_an_unavailable_isa_is_an_invalid_argument) {
  const std::vector<double> values(10, 1.0);
  const StridedBlock<const double> block{std::span<const double>(values)};
  const std::span<const StridedBlock<const double>> blocks(&block, 1);
  std::vector<std::uint64_t> counts(16);
  cr_assert_throw(k::histogram(blocks, HistogramSpec{1.0, 0.0, 16}, counts),
                  sluice::InvalidArgument);
  cr_assert_throw(k::histogram(blocks, HistogramSpec{0.0, 1.0, 15}, counts),
                  sluice::InvalidArgument);
  cr_assert_throw((void)k::sum(blocks, static_cast<Isa>(42)), sluice::InvalidArgument);
  cr_assert_throw(k::histogram(blocks, specs[0], counts, static_cast<Isa>(42)),
                  sluice::InvalidArgument);
}
