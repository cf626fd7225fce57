#pragma once
/// @file
/// Every MPI return code in sluice goes through check_mpi.
///
/// Communicators and windows sluice creates have MPI_ERRORS_RETURN installed, so a
/// failing call returns here instead of aborting the job, and the user gets an
/// MpiError naming the call, MPI's description, and what sluice was doing.
///
/// @code
/// sluice::check_mpi(MPI_Get(...), "MPI_Get", "pulling block 3 of stream 'T'");
/// @endcode

#include <mpi.h>

#include <string_view>

#include "sluice/core/error.hpp"

namespace sluice {

/// Builds and throws the MpiError for a failed call. Split out of check_mpi so the
/// success path stays a single inlined comparison.
[[noreturn]] void throw_mpi_error(int rc, std::string_view call, std::string_view hint);

/// Throws MpiError if `rc` is not MPI_SUCCESS. `call` names the MPI function,
/// `hint` says what sluice was doing (it becomes the start of the message).
/// Thread-safe (MPI_Error_string is callable from any thread at any thread level).
inline void check_mpi(int rc, std::string_view call, std::string_view hint = {}) {
  if (rc != MPI_SUCCESS) [[unlikely]] {
    throw_mpi_error(rc, call, hint);
  }
}

}  // namespace sluice
