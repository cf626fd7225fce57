#pragma once
/// @file
/// Where a stream's data lives: the global array, each rank's block, the local buffer.
///
/// A stream is a global array of 1 to 3 dimensions, row-major, split into blocks: one
/// or several per producing rank (a Layout describes one). A local buffer may be larger
/// than its block (halo cells): `local_shape` is the buffer's shape and `local_offset` where the
/// owned block starts inside it, so halos are excluded without a copy.
///
/// @code
/// // 512 x 512 grid, rows split over 2 ranks, one halo cell on every side.
/// sluice::channel::Layout layout{
///     .global_shape = {512, 512},
///     .block_start = {rank * 256, 0},
///     .block_count = {256, 512},
///     .local_shape = {258, 514},
///     .local_offset = {1, 1},
/// };
/// @endcode

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/core/box.hpp"

namespace sluice::channel {

struct Layout {
  Extents global_shape;  ///< the whole array, 1 to 3 dimensions
  Extents block_start;   ///< this rank's block, in global coordinates
  Extents block_count;   ///< this rank's block size (0 in any dimension: owns nothing)
  Extents local_shape;   ///< the local buffer's shape; empty means block_count
  Extents local_offset;  ///< the block's offset inside the local buffer; empty means 0

  /// local_shape and local_offset with their defaults filled in.
  [[nodiscard]] Layout normalized() const;
  /// Number of dimensions.
  [[nodiscard]] std::size_t rank() const noexcept { return global_shape.size(); }
  /// Elements of the block, of the local buffer, of the global array.
  [[nodiscard]] std::int64_t block_elements() const noexcept;
  [[nodiscard]] std::int64_t local_elements() const noexcept;
  [[nodiscard]] std::int64_t global_elements() const noexcept;
  /// The block as a box of the global array.
  [[nodiscard]] Box block() const { return {block_start, block_count}; }

  /// Checks this rank's layout on its own (dimensions, bounds, halo fit). Returns an
  /// empty string if it is valid, otherwise what is wrong. Local.
  [[nodiscard]] std::string check_local() const;
};

/// The part of a selection that one block provides, in three coordinate systems.
struct Overlap {
  Extents result_start;  ///< where it goes in the selection's row-major result
  Extents count;         ///< elements per dimension
  Extents local_start;   ///< where it starts in the producer's local buffer
};

/// The overlap of a (normalized) selection with a block of a normalized layout, or
/// an empty `count` if they do not intersect.
[[nodiscard]] Overlap intersect(const Selection& selection, const Layout& block);

}  // namespace sluice::channel
