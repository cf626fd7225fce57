#pragma once
/// @file
/// The array vocabulary every module speaks: extents, boxes of a global array, and
/// strided selections of it. Plain values, no MPI; every function is local and
/// thread-safe.
///
/// A Box is start[d] .. start[d] + count[d] - 1 in every dimension (half-open
/// ranges). Tools and messages write it as "0:64,0:512" (`describe`, `parse`).
///
/// @code
/// const sluice::Box band{{0, 0}, {64, 512}};
/// const sluice::Box block{{32, 0}, {256, 512}};
/// const sluice::Box both = band.intersect(block);   // {{32, 0}, {32, 512}}
/// std::string text = both.describe();              // "32:64,0:512"
/// auto parsed = sluice::Box::parse("32:64,0:512"); // == both
/// @endcode

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// Sizes or coordinates, one per dimension (row-major: the last varies fastest).
using Extents = std::vector<std::int64_t>;

/// The product of the extents (1 for none). Local.
[[nodiscard]] std::int64_t product(const Extents& extents) noexcept;

/// "[a, b, c]" for messages.
[[nodiscard]] std::string to_string(const Extents& extents);

/// A box of an array: start[d] .. start[d] + count[d] - 1.
struct Box {
  Extents start;
  Extents count;

  /// The whole array of `shape`.
  [[nodiscard]] static Box all(const Extents& shape);

  /// Number of dimensions.
  [[nodiscard]] std::size_t rank() const noexcept { return start.size(); }
  /// Elements in the box (0 if any count is 0 or less).
  [[nodiscard]] std::int64_t elements() const noexcept;
  /// Whether it holds no element.
  [[nodiscard]] bool empty() const noexcept { return elements() == 0; }

  /// The common part of the two boxes: an empty box (count 0 in every dimension, at
  /// this box's start) if they do not overlap; boxes that only touch do not. Throws
  /// InvalidArgument if the ranks differ.
  [[nodiscard]] Box intersect(const Box& other) const;
  /// Whether every element of `other` is in this box (an empty `other` always is).
  /// Throws InvalidArgument if the ranks differ.
  [[nodiscard]] bool contains(const Box& other) const;
  /// Whether the two boxes share at least one element.
  [[nodiscard]] bool overlaps(const Box& other) const { return !intersect(other).empty(); }

  /// Empty string if the box is non-empty and lies inside an array of `shape` (same
  /// rank), otherwise what is wrong, for the user.
  [[nodiscard]] std::string check_within(const Extents& shape) const;

  /// A box of no dimensions stands for "the whole array" where a region is optional
  /// (steering requests, tools): `describe` writes it "all", `parse` reads it back.
  [[nodiscard]] bool is_whole_marker() const noexcept { return start.empty() && count.empty(); }
  /// `shape`'s whole array for the marker, this box otherwise.
  [[nodiscard]] Box resolved(const Extents& shape) const {
    return is_whole_marker() ? all(shape) : *this;
  }

  /// "0:64,0:512": half-open ranges, as the tools take them ("all" for the marker).
  [[nodiscard]] std::string describe() const;
  /// The inverse of describe(). Throws InvalidArgument, quoting the text, for anything
  /// else (missing or extra colons, non-numbers, end before start, empty text).
  [[nodiscard]] static Box parse(std::string_view text);

  bool operator==(const Box&) const = default;
};

/// A strided selection of an array: indices start[d] + j * every[d], j < count[d].
/// With every = 1 it is the box {start, count}; an empty `every` means 1 everywhere.
struct Selection {
  Extents start;
  Extents count;
  Extents every;

  /// The whole array of `shape`.
  [[nodiscard]] static Selection all(const Extents& shape);
  /// Every element of `box`.
  [[nodiscard]] static Selection of(const Box& box);
  /// `every` with its default filled in.
  [[nodiscard]] Selection normalized() const;
  [[nodiscard]] std::int64_t elements() const noexcept { return product(count); }
  /// Empty string if the selection fits in `shape`, otherwise what is wrong.
  [[nodiscard]] std::string check_against(const Extents& shape) const;
  /// The smallest box holding every selected index.
  [[nodiscard]] Box bounds() const;

  /// The selected indices that lie in `box`, as a selection (count 0 in every
  /// dimension if there are none). Normalized selections only.
  [[nodiscard]] Selection clip(const Box& box) const;

  bool operator==(const Selection&) const = default;
};

/// Where the part of a (normalized) selection inside a box lies: `count` elements per
/// dimension, the first at `box_start` relative to the box's start, landing at
/// `result_start` in the selection's row-major result. `count` is empty if they do
/// not meet.
struct SelectionPart {
  Extents result_start;
  Extents count;
  Extents box_start;

  [[nodiscard]] bool empty() const noexcept { return count.empty(); }
};

/// The one intersection of a strided selection with a box; everything else (clipping,
/// planning a pull, cutting an injection) is built on it.
[[nodiscard]] SelectionPart part_in(const Selection& selection, const Box& box);

}  // namespace sluice
