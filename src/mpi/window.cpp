#include "sluice/mpi/window.hpp"

#include <exception>
#include <string>
#include <utility>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"

namespace sluice::mpi {

// ---- LockAllEpoch -----------------------------------------------------------

LockAllEpoch::LockAllEpoch(LockAllEpoch&& other) noexcept
    : m_window(std::exchange(other.m_window, MPI_WIN_NULL)) {}

LockAllEpoch& LockAllEpoch::operator=(LockAllEpoch&& other) noexcept {
  if (this != &other) {
    LockAllEpoch discarded(std::move(*this));
    m_window = std::exchange(other.m_window, MPI_WIN_NULL);
  }
  return *this;
}

LockAllEpoch::~LockAllEpoch() {
  if (m_window == MPI_WIN_NULL || Environment::is_finalized()) {
    return;
  }
  if (const int rc = MPI_Win_unlock_all(m_window); rc != MPI_SUCCESS) {
    log::error("MPI_Win_unlock_all failed with error ", rc, " while closing an RMA epoch");
  }
}

void LockAllEpoch::unlock() {
  if (m_window == MPI_WIN_NULL) {
    throw StateError("ending an RMA epoch", "the epoch is already closed");
  }
  const MPI_Win window = std::exchange(m_window, MPI_WIN_NULL);
  check_mpi(MPI_Win_unlock_all(window), "MPI_Win_unlock_all", "ending an RMA epoch");
}

// ---- Window -----------------------------------------------------------------

Window Window::allocate(const Comm& comm, std::size_t size_bytes, int disp_unit) {
  return create(comm, size_bytes, disp_unit, MPI_INFO_NULL, false);
}

Window Window::allocate(const Comm& comm, std::size_t size_bytes, int disp_unit, const Info& info) {
  return create(comm, size_bytes, disp_unit, info.get(), false);
}

Window Window::allocate_shared(const Comm& node, std::size_t size_bytes, int disp_unit) {
  return create(node, size_bytes, disp_unit, MPI_INFO_NULL, true);
}

Window Window::allocate_shared(const Comm& node, std::size_t size_bytes, int disp_unit,
                               const Info& info) {
  return create(node, size_bytes, disp_unit, info.get(), true);
}

Window Window::create(const Comm& comm, std::size_t size_bytes, int disp_unit, MPI_Info info,
                      bool shared) {
  const char* kind = shared ? "allocating a shared RMA window" : "allocating an RMA window";
  if (comm.is_null()) {
    throw StateError(kind, "the communicator is null");
  }
  if (disp_unit <= 0) {
    throw InvalidArgument(kind,
                          "disp_unit is " + std::to_string(disp_unit) + "; it must be positive");
  }
  if (shared) {
    // MPI_Win_allocate_shared on a multi-node communicator is erroneous; check it
    // ourselves so the user gets a message instead of undefined behaviour.
    Comm node = comm.split_shared();
    const bool spans_nodes = node.size() != comm.size();
    node.free();
    if (spans_nodes) {
      throw InvalidArgument(kind, "the communicator spans more than one node",
                            "build it with Comm::split_shared()");
    }
  }
  Window window;
  void* base = nullptr;
  const auto size = static_cast<MPI_Aint>(size_bytes);
  const int rc =
      shared ? MPI_Win_allocate_shared(size, disp_unit, info, comm.get(), &base, &window.m_window)
             : MPI_Win_allocate(size, disp_unit, info, comm.get(), &base, &window.m_window);
  check_mpi(rc, shared ? "MPI_Win_allocate_shared" : "MPI_Win_allocate",
            std::string(kind) + " of " + std::to_string(size_bytes) + " bytes");
  window.m_base = static_cast<std::byte*>(base);
  window.m_size_bytes = size_bytes;
  window.m_is_shared = shared;
  check_mpi(MPI_Win_set_errhandler(window.m_window, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler",
            "installing MPI_ERRORS_RETURN on a new window");
  if (shared) {
    for (int rank = 0; rank < comm.size(); ++rank) {
      window.m_shared_bases.push_back(window.shared_query(rank).base);
    }
  }
  return window;
}

Window::Window(Window&& other) noexcept
    : m_window(std::exchange(other.m_window, MPI_WIN_NULL)),
      m_base(std::exchange(other.m_base, nullptr)),
      m_size_bytes(std::exchange(other.m_size_bytes, 0)),
      m_is_shared(std::exchange(other.m_is_shared, false)),
      m_shared_bases(std::move(other.m_shared_bases)) {}

Window& Window::operator=(Window&& other) noexcept {
  if (this != &other) {
    Window discarded(std::move(*this));
    m_window = std::exchange(other.m_window, MPI_WIN_NULL);
    m_base = std::exchange(other.m_base, nullptr);
    m_size_bytes = std::exchange(other.m_size_bytes, 0);
    m_is_shared = std::exchange(other.m_is_shared, false);
    m_shared_bases = std::move(other.m_shared_bases);
  }
  return *this;
}

Window::~Window() {
  if (m_window == MPI_WIN_NULL || Environment::is_finalized()) {
    return;
  }
  if (std::uncaught_exceptions() > 0) {
    log::warn(
        "an RMA window was not freed before an exception unwound its owner; it is left to "
        "MPI_Finalize");
    return;
  }
  MPI_Win_free(&m_window);
}

void Window::abandon() noexcept { m_window = MPI_WIN_NULL; }

void Window::require_valid(const char* operation) const {
  if (m_window == MPI_WIN_NULL) {
    throw StateError(std::string(operation) + " on an RMA window",
                     "the window is null (freed, moved from, or never allocated)");
  }
}

SharedSegment Window::shared_query(int rank) const {
  require_valid("shared_query()");
  if (!m_is_shared) {
    throw StateError("shared_query(" + std::to_string(rank) + ")",
                     "the window was not made by allocate_shared",
                     "use Window::allocate_shared for memory read in place");
  }
  MPI_Aint size = 0;
  int disp_unit = 0;
  void* base = nullptr;
  check_mpi(MPI_Win_shared_query(m_window, rank, &size, &disp_unit, &base), "MPI_Win_shared_query",
            "locating rank " + std::to_string(rank) + "'s part of a shared window");
  return {static_cast<std::byte*>(base), static_cast<std::size_t>(size), disp_unit};
}

LockAllEpoch Window::lock_all(int assertions) const {
  require_valid("lock_all()");
  check_mpi(MPI_Win_lock_all(assertions, m_window), "MPI_Win_lock_all", "opening an RMA epoch");
  return LockAllEpoch(m_window);
}

void Window::flush(int rank) const {
  require_valid("flush()");
  check_mpi(MPI_Win_flush(rank, m_window), "MPI_Win_flush",
            "completing RMA operations to rank " + std::to_string(rank));
}

void Window::flush_all() const {
  require_valid("flush_all()");
  check_mpi(MPI_Win_flush_all(m_window), "MPI_Win_flush_all");
}

void Window::flush_local(int rank) const {
  require_valid("flush_local()");
  check_mpi(MPI_Win_flush_local(rank, m_window), "MPI_Win_flush_local",
            "completing RMA operations to rank " + std::to_string(rank) + " locally");
}

void Window::sync() const {
  require_valid("sync()");
  check_mpi(MPI_Win_sync(m_window), "MPI_Win_sync");
}

void Window::free() {
  require_valid("free()");
  check_mpi(MPI_Win_free(&m_window), "MPI_Win_free", "freeing an RMA window");
  m_window = MPI_WIN_NULL;
  m_base = nullptr;
  m_size_bytes = 0;
  m_is_shared = false;
}

}  // namespace sluice::mpi
