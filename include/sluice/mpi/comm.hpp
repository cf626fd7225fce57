#pragma once
/// @file
/// RAII handle for an MPI communicator.
///
/// A Comm either owns its MPI_Comm (sluice created it: freed by free() or, as a
/// safety net, the destructor) or borrows it (MPI_COMM_WORLD, the simulation's own
/// communicator: never freed by sluice). Communicators sluice creates always have
/// MPI_ERRORS_RETURN installed, so errors arrive as sluice::MpiError.
///
/// @code
/// auto world = sluice::mpi::Comm::borrow(MPI_COMM_WORLD);
/// sluice::mpi::Comm node = world.split_shared();      // collective
/// if (node.rank() == 0) { ... }
/// node.free();                                        // collective
/// @endcode

#include <mpi.h>

namespace sluice::mpi {

class Comm {
 public:
  /// A null communicator (MPI_COMM_NULL). Most calls on it throw StateError.
  Comm() noexcept = default;

  /// Wraps a communicator sluice does not own; it is never freed. Its error handler
  /// is left alone, as the owner chose it.
  [[nodiscard]] static Comm borrow(MPI_Comm comm) noexcept;

  /// Takes ownership of a communicator and installs MPI_ERRORS_RETURN on it.
  [[nodiscard]] static Comm adopt(MPI_Comm comm);

  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;
  Comm(Comm&& other) noexcept;
  Comm& operator=(Comm&& other) noexcept;

  /// Safety net for an owned communicator that was not freed: frees it unless MPI is
  /// finalised or an exception is unwinding the stack (MPI_Comm_free is collective,
  /// and peers on an error path may never reach theirs), in which case it is left
  /// for MPI_Finalize. Never throws.
  ~Comm();

  /// The raw handle, for MPI calls sluice does not wrap. Still owned by this object.
  [[nodiscard]] MPI_Comm get() const noexcept { return m_comm; }
  [[nodiscard]] bool is_null() const noexcept { return m_comm == MPI_COMM_NULL; }
  [[nodiscard]] bool is_owned() const noexcept { return m_owned; }

  /// Rank of this process and number of processes. Local, thread-safe.
  [[nodiscard]] int rank() const;
  [[nodiscard]] int size() const;

  /// A duplicate owned by the caller, with MPI_ERRORS_RETURN. Collective.
  [[nodiscard]] Comm dup() const;
  /// MPI_Comm_split; processes passing MPI_UNDEFINED get a null Comm. Collective.
  [[nodiscard]] Comm split(int color, int key) const;
  /// The processes of this communicator that can share memory with this one
  /// (MPI_COMM_TYPE_SHARED, i.e. the same node). Collective.
  [[nodiscard]] Comm split_shared() const;

  /// Collective.
  void barrier() const;

  /// Frees an owned communicator (collective). Releases a borrowed one without
  /// freeing it (local). Afterwards the object is null. Throws StateError if null.
  void free();

 private:
  Comm(MPI_Comm comm, bool owned) noexcept : m_comm(comm), m_owned(owned) {}
  void require_valid(const char* operation) const;

  MPI_Comm m_comm = MPI_COMM_NULL;
  bool m_owned = false;
};

}  // namespace sluice::mpi
