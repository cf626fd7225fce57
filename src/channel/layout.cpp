#include "sluice/channel/layout.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace sluice::channel {
namespace {

// MPI datatypes count elements per dimension in int.
constexpr std::int64_t max_extent = std::numeric_limits<int>::max();

}  // namespace

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

Overlap intersect(const Selection& selection, const Layout& block) {
  const SelectionPart part = part_in(selection, block.block());
  if (part.empty()) {
    return {};
  }
  Overlap overlap{part.result_start, part.count, part.box_start};
  for (std::size_t d = 0; d < overlap.local_start.size(); ++d) {
    overlap.local_start[d] += block.local_offset[d];
  }
  return overlap;
}

}  // namespace sluice::channel
