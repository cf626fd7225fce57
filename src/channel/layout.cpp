#include "sluice/channel/layout.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

#include "sluice/channel/dtype.hpp"

namespace sluice::channel {
namespace {

// MPI datatypes count elements per dimension in int.
constexpr std::int64_t max_extent = std::numeric_limits<int>::max();

std::int64_t product(const Extents& extents) {
  return std::accumulate(extents.begin(), extents.end(), std::int64_t{1},
                         [](std::int64_t a, std::int64_t b) { return a * b; });
}

// Floor and ceiling division for possibly negative numerators, positive divisors.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }

}  // namespace

std::string_view dtype_name(Dtype dtype) noexcept {
  switch (dtype) {
    case Dtype::f32:
      return "f32";
    case Dtype::f64:
      return "f64";
    case Dtype::i32:
      return "i32";
    case Dtype::i64:
      return "i64";
    case Dtype::u8:
      return "u8";
  }
  return "unknown";
}

std::optional<Dtype> parse_dtype(std::string_view name) noexcept {
  for (Dtype dtype : {Dtype::f32, Dtype::f64, Dtype::i32, Dtype::i64, Dtype::u8}) {
    if (dtype_name(dtype) == name) {
      return dtype;
    }
  }
  return std::nullopt;
}

std::string to_string(const Extents& extents) {
  std::string text = "[";
  for (std::size_t d = 0; d < extents.size(); ++d) {
    text += (d == 0 ? "" : ", ") + std::to_string(extents[d]);
  }
  return text + "]";
}

Layout Layout::normalized() const {
  Layout layout = *this;
  if (layout.local_shape.empty()) {
    layout.local_shape = layout.block_count;
  }
  if (layout.local_offset.empty()) {
    layout.local_offset.assign(layout.global_shape.size(), 0);
  }
  return layout;
}

std::int64_t Layout::block_elements() const noexcept { return product(block_count); }
std::int64_t Layout::local_elements() const noexcept {
  return local_shape.empty() ? product(block_count) : product(local_shape);
}
std::int64_t Layout::global_elements() const noexcept { return product(global_shape); }

std::string Layout::check_local() const {
  const std::size_t dims = global_shape.size();
  if (dims < 1 || dims > 3) {
    return "the global shape has " + std::to_string(dims) + " dimensions; streams have 1 to 3";
  }
  const Layout l = normalized();
  if (l.block_start.size() != dims || l.block_count.size() != dims ||
      l.local_shape.size() != dims || l.local_offset.size() != dims) {
    return "block_start, block_count, local_shape and local_offset must all have " +
           std::to_string(dims) + " dimensions like the global shape " + to_string(global_shape);
  }
  for (std::size_t d = 0; d < dims; ++d) {
    const std::string where = "dimension " + std::to_string(d) + ": ";
    if (l.global_shape[d] > max_extent || l.local_shape[d] > max_extent) {
      return where + "extents above " + std::to_string(max_extent) +
             " elements do not fit MPI's int counts; split the array over more dimensions";
    }
    if (l.global_shape[d] <= 0) {
      return where + "the global shape " + to_string(global_shape) + " must be positive";
    }
    if (l.block_count[d] < 0 || l.block_start[d] < 0 ||
        l.block_start[d] + l.block_count[d] > l.global_shape[d]) {
      return where + "the block [" + std::to_string(l.block_start[d]) + ", " +
             std::to_string(l.block_start[d] + l.block_count[d]) +
             ") lies outside the global [0, " + std::to_string(l.global_shape[d]) + ")";
    }
    if (l.local_offset[d] < 0 || l.local_offset[d] + l.block_count[d] > l.local_shape[d]) {
      return where + "the owned region at offset " + std::to_string(l.local_offset[d]) + " with " +
             std::to_string(l.block_count[d]) + " elements does not fit in the local buffer of " +
             std::to_string(l.local_shape[d]);
    }
  }
  return {};
}

Selection Selection::all(const Extents& shape) {
  return {Extents(shape.size(), 0), shape, Extents(shape.size(), 1)};
}

Selection Selection::normalized() const {
  Selection s = *this;
  if (s.every.empty()) {
    s.every.assign(s.start.size(), 1);
  }
  return s;
}

std::int64_t Selection::elements() const noexcept { return product(count); }

std::string Selection::check_against(const Extents& shape) const {
  const Selection s = normalized();
  if (s.start.size() != shape.size() || s.count.size() != shape.size() ||
      s.every.size() != shape.size()) {
    return "the selection has start " + to_string(start) + ", count " + to_string(count) +
           " and every " + to_string(every) + " but the stream has " +
           std::to_string(shape.size()) + " dimensions " + to_string(shape);
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const std::string where = "dimension " + std::to_string(d) + ": ";
    if (s.count[d] <= 0 || s.every[d] <= 0) {
      return where + "count " + std::to_string(s.count[d]) + " and every " +
             std::to_string(s.every[d]) + " must be positive";
    }
    const std::int64_t last = s.start[d] + (s.count[d] - 1) * s.every[d];
    if (s.start[d] < 0 || last >= shape[d]) {
      return where + "the selection reaches indices " + std::to_string(s.start[d]) + " to " +
             std::to_string(last) + ", outside the stream's [0, " + std::to_string(shape[d]) + ")";
    }
  }
  return {};
}

Overlap intersect(const Selection& selection, const Layout& block) {
  Overlap overlap;
  const std::size_t dims = selection.start.size();
  for (std::size_t d = 0; d < dims; ++d) {
    const std::int64_t every = selection.every[d];
    const std::int64_t first = block.block_start[d];
    const std::int64_t last = block.block_start[d] + block.block_count[d] - 1;
    // Selected indices are start + j * every; find the j range inside [first, last].
    const std::int64_t j_lo =
        std::max<std::int64_t>(0, ceil_div(first - selection.start[d], every));
    const std::int64_t j_hi =
        std::min<std::int64_t>(selection.count[d] - 1, floor_div(last - selection.start[d], every));
    if (block.block_count[d] == 0 || j_lo > j_hi) {
      return {};
    }
    overlap.result_start.push_back(j_lo);
    overlap.count.push_back(j_hi - j_lo + 1);
    overlap.local_start.push_back(selection.start[d] + j_lo * every - first +
                                  block.local_offset[d]);
  }
  return overlap;
}

Selection clip(const Selection& selection, const Extents& box_start, const Extents& box_count) {
  Layout box;
  box.global_shape = box_count;
  box.block_start = box_start;
  box.block_count = box_count;
  box.local_shape = box_count;
  box.local_offset = Extents(box_count.size(), 0);
  const Overlap overlap = intersect(selection, box);
  Selection clipped;
  if (overlap.count.empty()) {
    clipped.start = selection.start;
    clipped.count.assign(selection.count.size(), 0);
    clipped.every = selection.every;
    return clipped;
  }
  clipped.every = selection.every;
  clipped.count = overlap.count;
  for (std::size_t d = 0; d < overlap.count.size(); ++d) {
    clipped.start.push_back(selection.start[d] + overlap.result_start[d] * selection.every[d]);
  }
  return clipped;
}

}  // namespace sluice::channel
