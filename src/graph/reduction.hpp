#pragma once
// The partial result of a reduction over part of an array, and how partials combine:
// what a partition computes over its blocks and what the root merges (the combine
// tree's nodes). sum, mean, min, max and count of one operand over the same axes share
// one partial (Moments per output element).
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "sluice/graph/value.hpp"
#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/reduce.hpp"
#include "template.hpp"

namespace sluice::graph::detail {

// The sum, extremes and counts of some elements (numpy's rules are applied at the end).
struct Moments {
  double sum = 0.0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::uint64_t count = 0;  // elements that are not NaN
  std::uint64_t nans = 0;

  void add(double x) noexcept {
    if (x != x) {  // NaN
      ++nans;
      return;
    }
    sum += x;
    min = x < min ? x : min;
    max = x > max ? x : max;
    ++count;
  }
  void merge(const Moments& other) noexcept {
    sum += other.sum;
    min = other.min < min ? other.min : min;
    max = other.max > max ? other.max : max;
    count += other.count;
    nans += other.nans;
  }
};

// What a partial holds: one of the three, by kind. Plain data: it crosses processes.
struct ReductionData {
  std::vector<Moments> moments;
  std::vector<std::uint64_t> counts;
  std::vector<double> partial;
};

class Accumulator {
 public:
  enum class Kind : std::uint8_t { moments, histogram, user };

  // The partial of reduction node `node` (of an operand of `operand_shape`).
  Accumulator(const TemplateNode& node, const Extents& operand_shape);

  // Whether this partial also serves `node` (sum, mean, ... of the same operand and axes).
  [[nodiscard]] bool serves(const TemplateNode& node) const;
  void reset();
  // Adds n consecutive elements of a row of the operand, the first at padded (3-D)
  // coordinates (i, j, k) of the operand's whole array.
  void add(const double* p, std::size_t n, std::int64_t i, std::int64_t j, std::int64_t k);
  // Whether this is a sum, mean, min, max or count over whole rows: what add_summary takes.
  [[nodiscard]] bool summarises_rows() const noexcept {
    return m_kind == Kind::moments && m_reduces_rows;
  }
  // Adds the summary of n consecutive elements of a row computed elsewhere (see
  // fusion.hpp), the first at (i, j, k) as for add(). Only if summarises_rows().
  void add_summary(const kernels::Summary<double>& s, std::size_t n, std::int64_t i, std::int64_t j,
                   std::int64_t k);
  // Combines another partial of the same reduction into this one.
  void merge(const ReductionData& other);
  // The result of `node` (one this accumulator serves), numpy's rules applied.
  void finish(const TemplateNode& node, std::vector<double>& out) const;

  [[nodiscard]] std::uint32_t operand() const noexcept { return m_arg; }
  [[nodiscard]] const ReductionData& data() const noexcept { return m_data; }
  [[nodiscard]] ReductionData& data() noexcept { return m_data; }

 private:
  Kind m_kind = Kind::moments;
  std::uint32_t m_arg = 0;
  std::vector<int> m_axes;
  std::array<std::int64_t, 3> m_out_strides{};  // per padded operand dimension; 0: reduced
  bool m_reduces_rows = true;
  kernels::HistogramSpec m_spec;
  const ReductionFunctions* m_functions = nullptr;
  ReductionData m_data;
};

// The accumulators of a domain's reductions, and which serves each reduction node.
struct Accumulators {
  std::vector<Accumulator> list;
  std::vector<int> of_node;  // per template node: index in list, -1 if none

  Accumulators(const Template& compiled, const Domain& domain);
};

// Row-major strides of an array of `count`.
[[nodiscard]] Extents row_major_strides(const Extents& count);
// `e` with leading dimensions of `fill` up to 3.
[[nodiscard]] Extents padded(const Extents& e, std::int64_t fill);

}  // namespace sluice::graph::detail
