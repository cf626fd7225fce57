#include "evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "reduction.hpp"
#include "sluice/core/error.hpp"

namespace sluice::graph::detail {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// A double as a value of `dtype` would hold it (what cast() computes).
double as_dtype(double x, Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return static_cast<double>(static_cast<float>(x));
    case Dtype::f64:
      return x;
    default:
      return std::isfinite(x) ? std::trunc(x) : x;
  }
}

}  // namespace

// One elementwise operation over n elements.
void apply(const TemplateNode& node, const double* const* a, double* out, std::size_t n) {
  const double* x = a[0];
  const double* y = node.args.size() > 1 ? a[1] : nullptr;
  switch (node.op) {
    case Op::add:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] + y[i];
      return;
    case Op::subtract:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] - y[i];
      return;
    case Op::multiply:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] * y[i];
      return;
    case Op::divide:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] / y[i];
      return;
    case Op::negate:
      for (std::size_t i = 0; i < n; ++i) out[i] = -x[i];
      return;
    case Op::abs:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::fabs(x[i]);
      return;
    case Op::sqrt:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::sqrt(x[i]);
      return;
    case Op::exp:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
      return;
    case Op::log:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::log(x[i]);
      return;
    case Op::minimum:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = (std::isnan(x[i]) || std::isnan(y[i])) ? nan : std::min(x[i], y[i]);
      }
      return;
    case Op::maximum:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = (std::isnan(x[i]) || std::isnan(y[i])) ? nan : std::max(x[i], y[i]);
      }
      return;
    case Op::less:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] < y[i] ? 1.0 : 0.0;
      return;
    case Op::less_equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] <= y[i] ? 1.0 : 0.0;
      return;
    case Op::greater:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] > y[i] ? 1.0 : 0.0;
      return;
    case Op::greater_equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] >= y[i] ? 1.0 : 0.0;
      return;
    case Op::equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] == y[i] ? 1.0 : 0.0;
      return;
    case Op::not_equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] != y[i] ? 1.0 : 0.0;
      return;
    case Op::where:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] != 0.0 ? y[i] : a[2][i];
      return;
    case Op::cast:
      for (std::size_t i = 0; i < n; ++i) out[i] = as_dtype(x[i], node.dtype);
      return;
    case Op::map:
      (*node.map)(std::span<const double>(x, n), std::span<double>(out, n));
      return;
    default:
      throw StateError("running " + node.what, "it is not an elementwise operation",
                       "report this: the compiler placed it wrongly");
  }
}

// A node of the scalar or reduced phase, over whole small values.
void evaluate_small(const Template& compiled, std::uint32_t id, std::vector<Value>& values) {
  const TemplateNode& node = compiled.nodes[id];
  Value& out = values[id];
  switch (node.op) {
    case Op::constant:
      out.data[0] = node.constant;
      return;
    case Op::slice: {
      const Value& in = values[node.args[0]];
      const Extents in_strides = row_major_strides(in.shape);
      const Extents count = padded(node.selection.count, 1);
      const Extents start = padded(node.selection.start, 0);
      const Extents every = padded(node.selection.every, 1);
      const Extents strides = padded(in_strides, 0);
      std::size_t e = 0;
      for (std::int64_t i = 0; i < count[0]; ++i) {
        for (std::int64_t j = 0; j < count[1]; ++j) {
          for (std::int64_t k = 0; k < count[2]; ++k) {
            const auto at = (start[0] + i * every[0]) * strides[0] +
                            (start[1] + j * every[1]) * strides[1] +
                            (start[2] + k * every[2]) * strides[2];
            out.data[e++] = in.data[static_cast<std::size_t>(at)];
          }
        }
      }
      return;
    }
    case Op::sum:
    case Op::mean:
    case Op::min:
    case Op::max:
    case Op::count:
    case Op::histogram:
    case Op::reduction: {
      // A reduction of a small value: one accumulator over it as one chunk.
      const Value& in = values[node.args[0]];
      Accumulator acc(node, in.shape);
      const Extents shape = padded(in.shape, 1);
      for_each_tile(shape, [&](std::int64_t i, std::int64_t j, std::int64_t k, std::size_t n) {
        acc.add(in.data.data() + static_cast<std::size_t>((i * shape[1] + j) * shape[2] + k), n, i,
                j, k);
      });
      acc.finish(node, out.data);
      return;
    }
    case Op::value:
    case Op::stream:
      throw StateError("evaluating " + node.what, "inputs are read, not evaluated",
                       "report this: the compiler ordered the graph wrongly");
    default: {
      // Elementwise, scalars broadcast over arrays.
      const std::size_t n = out.data.size();
      std::vector<std::vector<double>> broadcast;
      broadcast.reserve(3);  // pointers into it are taken as it grows
      const double* args[3] = {nullptr, nullptr, nullptr};
      for (std::size_t a = 0; a < node.args.size(); ++a) {
        const Value& in = values[node.args[a]];
        if (in.data.size() == n) {
          args[a] = in.data.data();
        } else {
          broadcast.emplace_back(n, in.data[0]);
          args[a] = broadcast.back().data();
        }
      }
      apply(node, args, out.data.data(), n);
      return;
    }
  }
}

}  // namespace sluice::graph::detail
