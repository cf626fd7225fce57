#include "reduction.hpp"

#include <algorithm>
#include <cmath>

#include "sluice/kernels/reduce.hpp"

namespace sluice::graph::detail {
namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}  // namespace

Extents padded(const Extents& e, std::int64_t fill) {
  Extents r(3 - e.size(), fill);
  r.insert(r.end(), e.begin(), e.end());
  return r;
}

Extents row_major_strides(const Extents& count) {
  Extents strides(count.size(), 1);
  for (std::size_t d = count.size(); d-- > 1;) {
    strides[d - 1] = strides[d] * count[d];
  }
  return strides;
}

Accumulator::Accumulator(const TemplateNode& node, const Extents& operand_shape)
    : m_arg(node.args[0]), m_axes(node.axes) {
  if (node.op == Op::histogram) {
    m_kind = Kind::histogram;
    m_spec = {node.constant, node.upper, static_cast<std::size_t>(node.bins)};
    m_data.counts.assign(static_cast<std::size_t>(node.bins), 0);
    return;
  }
  if (node.op == Op::reduction) {
    m_kind = Kind::user;
    m_functions = &*node.reduction;
    m_data.partial.assign(node.reduction->length, node.reduction->identity);
    return;
  }
  const auto rank = operand_shape.size();
  const Extents out_strides = row_major_strides(node.shape);
  std::size_t out_dim = 0;
  for (std::size_t dim = 0; dim < rank; ++dim) {
    const bool reduced =
        std::find(m_axes.begin(), m_axes.end(), static_cast<int>(dim)) != m_axes.end();
    m_out_strides[3 - rank + dim] = reduced ? 0 : out_strides[out_dim++];
  }
  m_reduces_rows = m_out_strides[2] == 0;
  m_data.moments.assign(static_cast<std::size_t>(product(node.shape)), Moments{});
}

bool Accumulator::serves(const TemplateNode& node) const {
  const bool is_moment = node.op == Op::sum || node.op == Op::mean || node.op == Op::min ||
                         node.op == Op::max || node.op == Op::count;
  return m_kind == Kind::moments && is_moment && node.args[0] == m_arg && node.axes == m_axes;
}

void Accumulator::reset() {
  std::fill(m_data.moments.begin(), m_data.moments.end(), Moments{});
  std::fill(m_data.counts.begin(), m_data.counts.end(), 0);
  if (m_functions != nullptr) {
    std::fill(m_data.partial.begin(), m_data.partial.end(), m_functions->identity);
  }
}

void Accumulator::add(const double* p, std::size_t n, std::int64_t i, std::int64_t j,
                      std::int64_t k) {
  switch (m_kind) {
    case Kind::moments: {
      const auto base = i * m_out_strides[0] + j * m_out_strides[1] + k * m_out_strides[2];
      if (m_reduces_rows && n < 32) {
        // A short run (a narrow block): a plain loop costs less than a call to the
        // vector kernel.
        Moments m;
        for (std::size_t e = 0; e < n; ++e) {
          m.add(p[e]);
        }
        m_data.moments[static_cast<std::size_t>(base)].merge(m);
      } else if (m_reduces_rows) {
        add_summary(kernels::summary(std::span<const double>(p, n)), n, i, j, k);
      } else {
        for (std::size_t e = 0; e < n; ++e) {
          m_data
              .moments[static_cast<std::size_t>(base +
                                                static_cast<std::int64_t>(e) * m_out_strides[2])]
              .add(p[e]);
        }
      }
      return;
    }
    case Kind::histogram:
      kernels::histogram(std::span<const double>(p, n), m_spec, m_data.counts);
      return;
    case Kind::user:
      m_functions->map(std::span<const double>(p, n), m_data.partial);
      return;
  }
}

void Accumulator::add_summary(const kernels::Summary<double>& s, std::size_t n, std::int64_t i,
                              std::int64_t j, std::int64_t k) {
  const auto base = i * m_out_strides[0] + j * m_out_strides[1] + k * m_out_strides[2];
  m_data.moments[static_cast<std::size_t>(base)].merge(
      {.sum = s.sum, .min = s.min, .max = s.max, .count = s.count, .nans = n - s.count});
}

void Accumulator::merge(const ReductionData& other) {
  for (std::size_t e = 0; e < std::min(m_data.moments.size(), other.moments.size()); ++e) {
    m_data.moments[e].merge(other.moments[e]);
  }
  for (std::size_t e = 0; e < std::min(m_data.counts.size(), other.counts.size()); ++e) {
    m_data.counts[e] += other.counts[e];
  }
  if (m_functions != nullptr && other.partial.size() == m_data.partial.size()) {
    m_functions->combine(other.partial, m_data.partial);
  }
}

void Accumulator::finish(const TemplateNode& node, std::vector<double>& out) const {
  switch (m_kind) {
    case Kind::histogram:
      std::copy(m_data.counts.begin(), m_data.counts.end(), out.begin());
      return;
    case Kind::user:
      std::copy(m_data.partial.begin(), m_data.partial.end(), out.begin());
      return;
    case Kind::moments:
      for (std::size_t e = 0; e < out.size(); ++e) {
        const Moments& m = m_data.moments[e];
        const bool has_nan = m.nans > 0;
        const bool empty = has_nan || m.count == 0;
        switch (node.op) {
          case Op::sum:
            out[e] = has_nan ? nan : m.sum;
            break;
          case Op::mean:
            out[e] = empty ? nan : m.sum / static_cast<double>(m.count);
            break;
          case Op::min:
            out[e] = empty ? nan : m.min;
            break;
          case Op::max:
            out[e] = empty ? nan : m.max;
            break;
          default:
            out[e] = static_cast<double>(m.count);
            break;
        }
      }
      return;
  }
}

Accumulators::Accumulators(const Template& compiled, const Domain& domain)
    : of_node(compiled.nodes.size(), -1) {
  for (auto id : domain.reductions) {
    const TemplateNode& node = compiled.nodes[id];
    const auto shared = std::find_if(list.begin(), list.end(),
                                     [&](const Accumulator& a) { return a.serves(node); });
    if (shared != list.end()) {
      of_node[id] = static_cast<int>(shared - list.begin());
      continue;
    }
    of_node[id] = static_cast<int>(list.size());
    list.emplace_back(node, compiled.nodes[node.args[0]].shape);
  }
}

}  // namespace sluice::graph::detail
