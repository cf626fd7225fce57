#include "box_copy.hpp"

#include <cstring>
#include <vector>

namespace sluice::detail {

namespace {

std::int64_t offset_of(const Extents& shape, const Extents& start,
                       const std::vector<std::int64_t>& index) {
  std::int64_t offset = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    offset = offset * shape[d] + start[d] + index[d];
  }
  return offset;
}

}  // namespace

void copy_box(std::byte* to, const Extents& to_shape, const Extents& to_start,
              const std::byte* from, const Extents& from_shape, const Extents& from_start,
              const Extents& count, std::size_t element) {
  const std::size_t dims = count.size();
  if (dims == 0) {
    return;
  }
  std::int64_t rows = 1;
  for (std::size_t d = 0; d + 1 < dims; ++d) {
    rows *= count[d];
  }
  // Whole rows on both sides: the box is one contiguous run.
  bool whole_rows = true;
  for (std::size_t d = 1; d < dims && whole_rows; ++d) {
    whole_rows = count[d] == to_shape[d] && count[d] == from_shape[d];
  }
  std::int64_t row = count[dims - 1];
  if (whole_rows) {
    row *= rows;
    rows = 1;
  }
  const auto row_bytes = static_cast<std::size_t>(row) * element;
  std::vector<std::int64_t> index(dims, 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::memcpy(to + static_cast<std::size_t>(offset_of(to_shape, to_start, index)) * element,
                from + static_cast<std::size_t>(offset_of(from_shape, from_start, index)) * element,
                row_bytes);
    for (std::size_t d = dims - 1; d-- > 0;) {  // next row: odometer over outer dims
      if (++index[d] < count[d]) {
        break;
      }
      index[d] = 0;
    }
  }
}

void gather_box(std::byte* to, const Extents& to_shape, const Extents& to_start,
                const std::byte* from, const Extents& from_strides, const Extents& count,
                std::size_t element) {
  const std::size_t dims = count.size();
  if (dims == 0) {
    return;
  }
  std::int64_t rows = 1;
  for (std::size_t d = 0; d + 1 < dims; ++d) {
    rows *= count[d];
  }
  const std::int64_t row = count[dims - 1];
  const std::int64_t inner_stride = from_strides[dims - 1];
  std::vector<std::int64_t> index(dims, 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t source = 0;
    for (std::size_t d = 0; d < dims; ++d) {
      source += index[d] * from_strides[d];
    }
    std::byte* out = to + static_cast<std::size_t>(offset_of(to_shape, to_start, index)) * element;
    const std::byte* in = from + static_cast<std::size_t>(source) * element;
    if (inner_stride == 1) {
      std::memcpy(out, in, static_cast<std::size_t>(row) * element);
    } else {
      for (std::int64_t j = 0; j < row; ++j) {
        std::memcpy(out + static_cast<std::size_t>(j) * element,
                    in + static_cast<std::size_t>(j * inner_stride) * element, element);
      }
    }
    for (std::size_t d = dims - 1; d-- > 0;) {
      if (++index[d] < count[d]) {
        break;
      }
      index[d] = 0;
    }
  }
}

}  // namespace sluice::detail
