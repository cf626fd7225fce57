#pragma once
/// @file
/// A strided block of elements: what the kernels read when the data is not one
/// contiguous run, e.g. one producer's part of a step read in place, which sits inside
/// the producer's buffer between halo cells and other ranks' parts.
///
/// A block has 1 to 3 dimensions, outermost first. Element (i, j, k) of a 3-D block is
/// `data[i * strides[0] + j * strides[1] + k * strides[2]]`; strides count elements, not
/// bytes. An innermost stride of 1 (rows are contiguous) is the kernels' fast path; any
/// other stride (strided downsampling, a column of a row-major array) is read correctly,
/// one element at a time.
///
/// The element type may be const (`StridedBlock<const double>`, what the kernels read)
/// or not (`StridedBlock<double>`, what a kernel may write to); a block of T converts to
/// a block of const T, as std::span does.
///
/// @code
/// // A 2-D view of a row-major array of 100 x 80 doubles: rows 10..19, columns 5..44.
/// std::vector<double> field(100 * 80);
/// const std::array<std::int64_t, 2> count{10, 40}, strides{80, 1};
/// sluice::kernels::StridedBlock<const double> block(field.data() + 10 * 80 + 5, count, strides);
/// const auto s = sluice::kernels::summary(block);
///
/// // A step read in place (sluice/channel/consumer.hpp): no copy.
/// for (const auto& view : step.blocks()) {
///   sluice::kernels::StridedBlock<const double> b(static_cast<const double*>(view.data),
///                                                 view.count, view.strides);
///   ...
/// }
/// @endcode
///
/// A StridedBlock does not own its elements; it is a cheap value (a pointer and six
/// integers). Thread-safe as any value; nothing here is collective.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "sluice/core/error.hpp"

namespace sluice::kernels {

/// The most dimensions a StridedBlock has.
inline constexpr std::size_t max_block_dims = 3;

/// `count` elements per dimension at `data`, consecutive ones `strides` elements apart
/// (see the file comment). Always stored as 3 dimensions: a block given with fewer gets
/// outer dimensions of count 1.
template <typename T>
class StridedBlock {
 public:
  using element_type = T;

  /// An empty block (no elements).
  constexpr StridedBlock() noexcept = default;

  /// A contiguous run of elements: one dimension, stride 1.
  constexpr explicit StridedBlock(std::span<T> contiguous) noexcept
      : m_data(contiguous.data()), m_count{1, 1, contiguous.size()}, m_strides{0, 0, 1} {}

  /// `count[d]` elements along dimension d (outermost first), `strides[d]` elements apart.
  /// Takes the Extents of sluice::channel (std::vector<std::int64_t>) as they are.
  /// Throws sluice::InvalidArgument if the dimensions are not 1 to 3, count and strides
  /// differ in length, or a count is negative.
  StridedBlock(T* data, std::span<const std::int64_t> count, std::span<const std::int64_t> strides)
      : m_data(data) {
    if (count.empty() || count.size() > max_block_dims || count.size() != strides.size()) {
      throw InvalidArgument("describing a strided block",
                            "it has " + std::to_string(count.size()) + " counts and " +
                                std::to_string(strides.size()) + " strides",
                            "give 1 to 3 dimensions, one stride per count");
    }
    const std::size_t skip = max_block_dims - count.size();
    for (std::size_t d = 0; d < count.size(); ++d) {
      if (count[d] < 0) {
        throw InvalidArgument("describing a strided block",
                              "dimension " + std::to_string(d) + " has a negative count (" +
                                  std::to_string(count[d]) + ")",
                              "give counts of 0 or more");
      }
      m_count[skip + d] = static_cast<std::size_t>(count[d]);
      m_strides[skip + d] = static_cast<std::ptrdiff_t>(strides[d]);
    }
  }

  /// The same elements, read-only.
  template <typename U>
  requires std::is_same_v<const U, T> &&(!std::is_same_v<U, T>)constexpr StridedBlock(
      const StridedBlock<U>& other) noexcept  // NOLINT: converts like span
      : m_data(other.data()), m_count(other.counts()), m_strides(other.strides()) {}

  /// The first element (meaningless when the block is empty).
  [[nodiscard]] constexpr T* data() const noexcept { return m_data; }
  /// Elements per dimension, outermost first, always 3 (leading 1s for fewer dimensions).
  [[nodiscard]] constexpr const std::array<std::size_t, max_block_dims>& counts() const noexcept {
    return m_count;
  }
  /// Element strides per dimension, as counts().
  [[nodiscard]] constexpr const std::array<std::ptrdiff_t, max_block_dims>& strides()
      const noexcept {
    return m_strides;
  }
  /// The number of elements.
  [[nodiscard]] constexpr std::size_t size() const noexcept {
    return m_count[0] * m_count[1] * m_count[2];
  }
  [[nodiscard]] constexpr bool empty() const noexcept { return size() == 0; }
  /// Whether the innermost dimension is contiguous (the vector path).
  [[nodiscard]] constexpr bool has_contiguous_rows() const noexcept { return m_strides[2] == 1; }

 private:
  T* m_data = nullptr;
  std::array<std::size_t, max_block_dims> m_count{1, 1, 0};
  std::array<std::ptrdiff_t, max_block_dims> m_strides{0, 0, 1};
};

}  // namespace sluice::kernels
