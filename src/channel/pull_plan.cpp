// How a subscription pulls its selection from one producer: which box of the
// producer's slot, where it lands in the result, and whether plain bytes will do.
#include <limits>

#include "consumer_state.hpp"

namespace sluice::channel::detail {

namespace {

// Whether a box of `count` elements (stride `every`; empty means 1) inside a
// row-major array of `shape` is one contiguous run of memory: unit strides, and
// below its outermost dimension with more than one element it spans whole rows.
bool is_contiguous_run(const Extents& shape, const Extents& count, const Extents& every) {
  bool inner_dimension_seen = false;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const bool unit_stride = every.empty() || every[d] == 1;
    if (inner_dimension_seen && (count[d] != shape[d] || !unit_stride)) {
      return false;
    }
    if (count[d] > 1) {
      if (!unit_stride) {
        return false;
      }
      inner_dimension_seen = true;
    }
  }
  return true;
}

}  // namespace

void plan_part(Part& part, const Selection& selection, Dtype dtype) {
  const Layout& producer = *part.layout;
  part.overlap = selection.count.empty() ? Overlap{} : intersect(selection, producer);
  part.idle = part.overlap.count.empty();
  part.target_type = {};
  part.origin_type = {};
  part.contiguous_bytes = 0;
  if (part.idle) {
    return;
  }
  const std::size_t element = dtype_size(dtype);
  const MPI_Datatype mpi_element = mpi_type_of(dtype);
  std::int64_t offset = 0;
  for (std::size_t d = 0; d < selection.start.size(); ++d) {
    offset = offset * producer.local_shape[d] + part.overlap.local_start[d];
  }
  part.box_offset_bytes = static_cast<MPI_Aint>(offset) * static_cast<MPI_Aint>(element);
  part.target_type = mpi::Datatype::strided_box(producer.local_shape, part.overlap.count,
                                                selection.every, mpi_element);
  const std::vector<int> result_shape(selection.count.begin(), selection.count.end());
  const std::vector<int> count(part.overlap.count.begin(), part.overlap.count.end());
  const std::vector<int> start(part.overlap.result_start.begin(), part.overlap.result_start.end());
  part.origin_type = mpi::Datatype::subarray(result_shape, count, start, mpi_element);
  const auto bytes = part.origin_type.size_bytes();
  part.box_offset_bytes += static_cast<MPI_Aint>(part.block->offset_bytes);
  if (is_contiguous_run(producer.local_shape, part.overlap.count, selection.every) &&
      is_contiguous_run(selection.count, part.overlap.count, {}) &&
      bytes <= std::numeric_limits<int>::max()) {
    part.contiguous_bytes = static_cast<int>(bytes);
    std::int64_t result_offset = 0;
    for (std::size_t d = 0; d < selection.count.size(); ++d) {
      result_offset = result_offset * selection.count[d] + part.overlap.result_start[d];
    }
    part.result_offset_bytes =
        static_cast<MPI_Aint>(result_offset) * static_cast<MPI_Aint>(element);
  }
}

}  // namespace sluice::channel::detail
