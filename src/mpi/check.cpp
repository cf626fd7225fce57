#include "sluice/mpi/check.hpp"

#include <string>

namespace sluice {

void throw_mpi_error(int rc, std::string_view call, std::string_view hint) {
  int error_class = rc;
  if (MPI_Error_class(rc, &error_class) != MPI_SUCCESS) {
    error_class = MPI_ERR_UNKNOWN;
  }
  std::string description(MPI_MAX_ERROR_STRING, '\0');
  int length = 0;
  if (MPI_Error_string(rc, description.data(), &length) == MPI_SUCCESS) {
    description.resize(static_cast<std::size_t>(length));
  } else {
    description = "no description available";
  }
  throw MpiError(call, rc, error_class, description, hint);
}

}  // namespace sluice
