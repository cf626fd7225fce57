#pragma once
/// @file
/// sluice::graph::Value: what a graph gives a callback for one node and one iteration.
///
/// A scalar (shape {}) or a small array, row-major, held as double whatever the node's
/// dtype (integers up to 2^53 exactly): a histogram's counts, a reduction over some
/// axes, or a whole array the callback asked for.
///
/// @code
/// g.on(hist, [](std::int64_t k, std::span<const sluice::graph::Value> v) {
///   for (double c : v[0].data) total += c;                 // 16 counts
/// });
/// @endcode

#include <cstddef>
#include <string>
#include <vector>

#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/core/error.hpp"

namespace sluice::graph {

struct Value {
  Dtype dtype = Dtype::f64;    ///< the node's dtype
  Extents shape{};             ///< empty for a scalar
  std::vector<double> data{};  ///< product(shape) elements (1 for a scalar)

  [[nodiscard]] bool is_scalar() const noexcept { return shape.empty(); }
  /// The value of a scalar. InvalidArgument for an array.
  [[nodiscard]] double scalar() const {
    if (!is_scalar() || data.size() != 1) {
      throw InvalidArgument("reading a graph value as a scalar",
                            "it is an array of " + to_string(shape) + " elements",
                            "read Value::data");
    }
    return data[0];
  }
};

}  // namespace sluice::graph
