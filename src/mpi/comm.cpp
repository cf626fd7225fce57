#include "sluice/mpi/comm.hpp"

#include <exception>
#include <string>
#include <utility>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"

namespace sluice::mpi {

Comm Comm::borrow(MPI_Comm comm) noexcept { return Comm(comm, false); }

Comm Comm::adopt(MPI_Comm comm) {
  Comm owned(comm, true);
  if (comm != MPI_COMM_NULL) {
    check_mpi(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler",
              "installing MPI_ERRORS_RETURN on a new communicator");
  }
  return owned;
}

Comm::Comm(Comm&& other) noexcept
    : m_comm(std::exchange(other.m_comm, MPI_COMM_NULL)),
      m_owned(std::exchange(other.m_owned, false)) {}

Comm& Comm::operator=(Comm&& other) noexcept {
  if (this != &other) {
    Comm discarded(std::move(*this));
    m_comm = std::exchange(other.m_comm, MPI_COMM_NULL);
    m_owned = std::exchange(other.m_owned, false);
  }
  return *this;
}

Comm::~Comm() {
  if (!m_owned || m_comm == MPI_COMM_NULL || Environment::is_finalized()) {
    return;
  }
  if (std::uncaught_exceptions() > 0) {
    log::debug("communicator not freed during stack unwinding; MPI_Finalize will release it");
    return;
  }
  MPI_Comm_free(&m_comm);
}

void Comm::require_valid(const char* operation) const {
  if (m_comm == MPI_COMM_NULL) {
    throw StateError(std::string(operation) + " on a communicator", "it is null (MPI_COMM_NULL)",
                     "this process is not part of it, or it was freed or moved from");
  }
}

int Comm::rank() const {
  require_valid("rank()");
  int rank = 0;
  check_mpi(MPI_Comm_rank(m_comm, &rank), "MPI_Comm_rank");
  return rank;
}

int Comm::size() const {
  require_valid("size()");
  int size = 0;
  check_mpi(MPI_Comm_size(m_comm, &size), "MPI_Comm_size");
  return size;
}

Comm Comm::dup() const {
  require_valid("dup()");
  MPI_Comm duplicate = MPI_COMM_NULL;
  check_mpi(MPI_Comm_dup(m_comm, &duplicate), "MPI_Comm_dup", "duplicating a communicator");
  return adopt(duplicate);
}

Comm Comm::split(int color, int key) const {
  require_valid("split()");
  MPI_Comm part = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(m_comm, color, key, &part), "MPI_Comm_split",
            "splitting a communicator");
  return adopt(part);
}

Comm Comm::split_shared() const {
  require_valid("split_shared()");
  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(m_comm, MPI_COMM_TYPE_SHARED, rank(), MPI_INFO_NULL, &node),
            "MPI_Comm_split_type", "grouping the processes of one node");
  return adopt(node);
}

void Comm::barrier() const {
  require_valid("barrier()");
  check_mpi(MPI_Barrier(m_comm), "MPI_Barrier");
}

void Comm::free() {
  require_valid("free()");
  if (m_owned) {
    check_mpi(MPI_Comm_free(&m_comm), "MPI_Comm_free", "freeing a communicator");
  }
  m_comm = MPI_COMM_NULL;
  m_owned = false;
}

}  // namespace sluice::mpi
