#pragma once
// Private: copies a box of elements between two row-major arrays, one memcpy per row
// of the box (one in all if it spans whole rows of both).
#include <cstddef>

#include <cstdint>
#include <vector>

namespace sluice::detail {

using Extents = std::vector<std::int64_t>;

// Copies `count` (per dimension) elements of `element` bytes from the array `from`
// of shape `from_shape`, starting at `from_start`, into `to` at `to_start`.
void copy_box(std::byte* to, const Extents& to_shape, const Extents& to_start,
              const std::byte* from, const Extents& from_shape, const Extents& from_start,
              const Extents& count, std::size_t element);

// Copies `count` (per dimension) elements from `from`, whose consecutive elements
// are `from_strides` elements apart per dimension, into the row-major array `to` of
// shape `to_shape` at `to_start`. One memcpy per row where the innermost stride is 1.
void gather_box(std::byte* to, const Extents& to_shape, const Extents& to_start,
                const std::byte* from, const Extents& from_strides, const Extents& count,
                std::size_t element);

}  // namespace sluice::detail
