#pragma once
/// @file
/// RAII handle for MPI-3 RMA windows, and a guard for passive-target epochs.
///
/// sluice only uses windows whose memory MPI allocates (MPI_Win_allocate and
/// MPI_Win_allocate_shared): Open MPI's fast on-node one-sided path (osc sm) serves
/// only those. Windows are created once and live as long as the stream they serve;
/// free() is collective and explicit.
///
/// @code
/// auto window = sluice::mpi::Window::allocate(comm, bytes);   // collective
/// {
///   auto epoch = window.lock_all();        // MPI_Win_lock_all(MPI_MODE_NOCHECK)
///   MPI_Get(..., window.get());
///   window.flush(target);
/// }                                         // MPI_Win_unlock_all
/// window.free();                            // collective
/// @endcode

#include <mpi.h>

#include <cstddef>
#include <vector>

#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/info.hpp"

namespace sluice::mpi {

/// Where another process's part of a shared window is mapped in this process.
struct SharedSegment {
  std::byte* base;
  std::size_t size_bytes;
  int disp_unit;
};

class Window;

/// A passive-target access epoch on every process of a window
/// (MPI_Win_lock_all ... MPI_Win_unlock_all). Not copyable, movable.
class LockAllEpoch {
 public:
  LockAllEpoch(const LockAllEpoch&) = delete;
  LockAllEpoch& operator=(const LockAllEpoch&) = delete;
  LockAllEpoch(LockAllEpoch&& other) noexcept;
  LockAllEpoch& operator=(LockAllEpoch&& other) noexcept;
  /// Ends the epoch if still open. Never throws: a failure is logged.
  ~LockAllEpoch();

  /// Ends the epoch (MPI_Win_unlock_all), completing all operations issued in it.
  /// Local. Throws StateError if already ended.
  void unlock();
  [[nodiscard]] bool is_open() const noexcept { return m_window != MPI_WIN_NULL; }

 private:
  friend class Window;
  explicit LockAllEpoch(MPI_Win window) noexcept : m_window(window) {}

  MPI_Win m_window = MPI_WIN_NULL;
};

class Window {
 public:
  /// A null window.
  Window() noexcept = default;

  /// MPI_Win_allocate: `size_bytes` of window memory on this process (0 is allowed),
  /// addressed in units of `disp_unit` bytes. Installs MPI_ERRORS_RETURN.
  /// Collective over `comm`.
  [[nodiscard]] static Window allocate(const Comm& comm, std::size_t size_bytes, int disp_unit = 1);
  [[nodiscard]] static Window allocate(const Comm& comm, std::size_t size_bytes, int disp_unit,
                                       const Info& info);

  /// MPI_Win_allocate_shared over a communicator of one node (see
  /// Comm::split_shared): every process can load and store the others' memory
  /// directly (shared_query). Throws InvalidArgument if `node` spans several nodes.
  /// Collective over `node`.
  [[nodiscard]] static Window allocate_shared(const Comm& node, std::size_t size_bytes,
                                              int disp_unit = 1);
  [[nodiscard]] static Window allocate_shared(const Comm& node, std::size_t size_bytes,
                                              int disp_unit, const Info& info);

  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;
  /// Moving transfers the handle; the memory MPI allocated does not move.
  Window(Window&& other) noexcept;
  Window& operator=(Window&& other) noexcept;

  /// Safety net when free() was not called: frees the window unless MPI is
  /// finalised or an exception is unwinding the stack (MPI_Win_free is collective;
  /// peers on an error path may never reach theirs), in which case it is left to
  /// MPI_Finalize and a warning is logged. Never throws.
  ~Window();

  [[nodiscard]] MPI_Win get() const noexcept { return m_window; }
  [[nodiscard]] bool is_null() const noexcept { return m_window == MPI_WIN_NULL; }
  /// This process's window memory and its size. Local, thread-safe.
  [[nodiscard]] std::byte* base() const noexcept { return m_base; }
  [[nodiscard]] std::size_t size_bytes() const noexcept { return m_size_bytes; }
  [[nodiscard]] bool is_shared() const noexcept { return m_is_shared; }

  /// Where process `rank`'s memory of a shared window is mapped here. Local.
  /// Throws StateError for windows not made by allocate_shared.
  [[nodiscard]] SharedSegment shared_query(int rank) const;
  /// The same base address, remembered when the window was made: no MPI call. Shared
  /// windows only, `rank` in range (unchecked: for hot paths). Local, thread-safe.
  [[nodiscard]] std::byte* shared_base(int rank) const noexcept {
    return m_shared_bases[static_cast<std::size_t>(rank)];
  }

  /// Opens a passive-target epoch to all processes. The default assertion
  /// MPI_MODE_NOCHECK is right for sluice's protocol, where ordering comes from
  /// atomic counters rather than locks. Local.
  [[nodiscard]] LockAllEpoch lock_all(int assertions = MPI_MODE_NOCHECK) const;

  /// Completes all operations to `rank` at origin and target (MPI_Win_flush). Local.
  void flush(int rank) const;
  /// Completes all operations to every process. Local.
  void flush_all() const;
  /// Completes operations to `rank` at the origin only (buffers reusable). Local.
  void flush_local(int rank) const;
  /// Synchronises the public and private copies of this process's window memory
  /// (MPI_Win_sync): needed between local stores and remote reads. Local.
  void sync() const;

  /// Frees the window and its memory. Collective over the window's communicator.
  /// Throws StateError if the window is null.
  void free();
  /// Forgets the window without freeing it: its memory stays mapped until the process
  /// ends. For a job that lost a process (Open MPI's recovery): freeing is collective
  /// and would wait for it forever. Local; the window is null afterwards.
  void abandon() noexcept;

 private:
  static Window create(const Comm& comm, std::size_t size_bytes, int disp_unit, MPI_Info info,
                       bool shared);
  void require_valid(const char* operation) const;

  MPI_Win m_window = MPI_WIN_NULL;
  std::byte* m_base = nullptr;
  std::size_t m_size_bytes = 0;
  bool m_is_shared = false;
  std::vector<std::byte*> m_shared_bases;  // per rank, shared windows only
};

}  // namespace sluice::mpi
