#include "sluice/mpi/datatype.hpp"

#include <string>
#include <utility>
#include <vector>

#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"

namespace sluice::mpi {
namespace {

void validate_box(std::span<const int> sizes, std::span<const int> subsizes,
                  std::span<const int> starts) {
  const std::string asked = "building a subarray datatype";
  if (sizes.empty()) {
    throw InvalidArgument(asked, "the array has no dimensions");
  }
  if (subsizes.size() != sizes.size() || starts.size() != sizes.size()) {
    throw InvalidArgument(asked,
                          "sizes, subsizes and starts have " + std::to_string(sizes.size()) + ", " +
                              std::to_string(subsizes.size()) + " and " +
                              std::to_string(starts.size()) + " dimensions",
                          "give all three with the array's number of dimensions");
  }
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    const std::string where = "dimension " + std::to_string(d) + ": ";
    if (sizes[d] <= 0 || subsizes[d] <= 0) {
      throw InvalidArgument(asked, where + "size " + std::to_string(sizes[d]) + " and subsize " +
                                       std::to_string(subsizes[d]) + " must both be positive");
    }
    if (starts[d] < 0 || starts[d] > sizes[d] - subsizes[d]) {
      throw InvalidArgument(asked, where + "the box [" + std::to_string(starts[d]) + ", " +
                                       std::to_string(starts[d] + subsizes[d]) +
                                       ") does not fit in [0, " + std::to_string(sizes[d]) + ")");
    }
  }
}

}  // namespace

Datatype Datatype::subarray(std::span<const int> sizes, std::span<const int> subsizes,
                            std::span<const int> starts, MPI_Datatype element) {
  validate_box(sizes, subsizes, starts);
  MPI_Datatype type = MPI_DATATYPE_NULL;
  check_mpi(MPI_Type_create_subarray(static_cast<int>(sizes.size()), sizes.data(), subsizes.data(),
                                     starts.data(), MPI_ORDER_C, element, &type),
            "MPI_Type_create_subarray", "building a subarray datatype");
  Datatype owned(type);  // freed if the commit throws
  check_mpi(MPI_Type_commit(&owned.m_type), "MPI_Type_commit", "committing a subarray datatype");
  return owned;
}

Datatype Datatype::subarray(std::initializer_list<int> sizes, std::initializer_list<int> subsizes,
                            std::initializer_list<int> starts, MPI_Datatype element) {
  return subarray(std::span<const int>(sizes.begin(), sizes.size()),
                  std::span<const int>(subsizes.begin(), subsizes.size()),
                  std::span<const int>(starts.begin(), starts.size()), element);
}

Datatype Datatype::strided_box(std::span<const std::int64_t> array_shape,
                               std::span<const std::int64_t> count,
                               std::span<const std::int64_t> every, MPI_Datatype element) {
  const std::size_t dims = array_shape.size();
  if (dims == 0 || count.size() != dims || every.size() != dims) {
    throw InvalidArgument("building a strided box datatype",
                          "array_shape, count and every must have the same, non-zero, rank");
  }
  MPI_Aint lower = 0;
  MPI_Aint element_extent = 0;
  check_mpi(MPI_Type_get_extent(element, &lower, &element_extent), "MPI_Type_get_extent");
  // Innermost dimension: a vector of single elements `every` apart; each outer
  // dimension repeats the inner type `every` rows of the array apart.
  // A unit stride is spelled as a contiguous run: some MPI datatype engines copy a
  // vector of single elements element by element.
  MPI_Datatype inner = MPI_DATATYPE_NULL;
  const int inner_count = static_cast<int>(count[dims - 1]);
  check_mpi(
      every[dims - 1] == 1
          ? MPI_Type_contiguous(inner_count, element, &inner)
          : MPI_Type_vector(inner_count, 1, static_cast<int>(every[dims - 1]), element, &inner),
      "MPI_Type_vector", "building a strided box datatype");
  MPI_Aint row_bytes = element_extent * static_cast<MPI_Aint>(array_shape[dims - 1]);
  for (std::size_t d = dims - 1; d-- > 0;) {
    MPI_Datatype outer = MPI_DATATYPE_NULL;
    const int rc = MPI_Type_create_hvector(
        static_cast<int>(count[d]), 1, row_bytes * static_cast<MPI_Aint>(every[d]), inner, &outer);
    MPI_Type_free(&inner);
    check_mpi(rc, "MPI_Type_create_hvector", "building a strided box datatype");
    inner = outer;
    row_bytes *= static_cast<MPI_Aint>(array_shape[d]);
  }
  Datatype owned(inner);
  check_mpi(MPI_Type_commit(&owned.m_type), "MPI_Type_commit", "committing a strided box datatype");
  return owned;
}

Datatype Datatype::contiguous(int count, MPI_Datatype element) {
  if (count <= 0) {
    throw InvalidArgument(
        "building a contiguous datatype of " + std::to_string(count) + " elements",
        "the count must be positive");
  }
  MPI_Datatype type = MPI_DATATYPE_NULL;
  check_mpi(MPI_Type_contiguous(count, element, &type), "MPI_Type_contiguous");
  Datatype owned(type);
  check_mpi(MPI_Type_commit(&owned.m_type), "MPI_Type_commit", "committing a contiguous datatype");
  return owned;
}

Datatype::Datatype(Datatype&& other) noexcept
    : m_type(std::exchange(other.m_type, MPI_DATATYPE_NULL)) {}

Datatype& Datatype::operator=(Datatype&& other) noexcept {
  if (this != &other) {
    Datatype discarded(std::move(*this));
    m_type = std::exchange(other.m_type, MPI_DATATYPE_NULL);
  }
  return *this;
}

Datatype::~Datatype() {
  if (m_type != MPI_DATATYPE_NULL && !Environment::is_finalized()) {
    MPI_Type_free(&m_type);
  }
}

std::int64_t Datatype::size_bytes() const {
  MPI_Count size = 0;
  check_mpi(MPI_Type_size_x(m_type, &size), "MPI_Type_size_x");
  return static_cast<std::int64_t>(size);
}

}  // namespace sluice::mpi
