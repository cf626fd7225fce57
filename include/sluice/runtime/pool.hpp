#pragma once
/// @file
/// sluice::Pool: the window memory of every process of the job, allocated once when the
/// Runtime starts and handed out locally, so that streams can be created at any time
/// without a collective.
///
/// Why one pool, reserved up front, and not a window per stream: a window is collective
/// over the processes that make it, so a stream created while the simulation runs (a
/// graph's derived stream on a scheduler) would need the simulation ranks to join a
/// collective mid-iteration. The alternatives were measured on a single node with Open
/// MPI 4.1 (bench/mpi/bm_stream_windows.cpp; numbers in the comment of
/// src/runtime/pool.cpp): a dynamic window (MPI_Win_create_dynamic + attach) is served
/// by a slower one-sided component and cannot be read in place; a window over a
/// sub-communicator of the producer and its readers shuts out readers that come later.
/// A pool made with MPI_Win_allocate_shared keeps the shared-memory component (MPI_Get at
/// memcpy speed, in-place reads), and memory that nothing touched costs nothing.
///
/// Each process's pool begins with the job's catalog region (see catalog.hpp); streams
/// take the rest with reserve(). Nothing is ever given back before the job ends.

#include <cstddef>
#include <optional>
#include <string_view>

#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/window.hpp"
#include "sluice/runtime/role.hpp"

namespace sluice {

class Pool {
 public:
  /// Allocates `bytes` of window memory on this process, shared with the node's
  /// processes when the whole job runs on one node (`single_node`). Collective over
  /// `world`. Opens the passive epoch every user of the pool shares.
  Pool(const mpi::Comm& world, bool single_node, std::size_t bytes);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  Pool(Pool&&) = delete;
  Pool& operator=(Pool&&) = delete;
  ~Pool();

  /// The window: every process's pool, addressed in bytes.
  [[nodiscard]] const mpi::Window& window() const noexcept { return m_window; }
  /// Hands out `bytes` of this process's pool, zeroed and 64-byte aligned, for `what`
  /// (named in the error). Throws StateError when the pool is full, saying how to make
  /// it larger (SLUICE_POOL_BYTES). Local; not thread-safe.
  [[nodiscard]] std::size_t reserve(std::size_t bytes, std::string_view what);
  /// This process's pool memory at `offset`.
  [[nodiscard]] std::byte* local(std::size_t offset) const noexcept {
    return m_window.base() + offset;
  }
  [[nodiscard]] std::size_t capacity_bytes() const noexcept { return m_window.size_bytes(); }
  [[nodiscard]] std::size_t used_bytes() const noexcept { return m_used; }

  /// Frees the window. Collective over the job: it returns once every process is done
  /// reading the others' pools.
  void free();
  /// Leaves the window to the end of the process (mpi::Window::abandon): for a job that
  /// lost a process, which a free would wait for. Local.
  void abandon() noexcept;

 private:
  mpi::Window m_window;
  std::optional<mpi::LockAllEpoch> m_epoch;
  std::size_t m_used = 0;
};

/// The pool size of a process of `role` when RuntimeOptions::pool_bytes is 0: the
/// SLUICE_POOL_BYTES environment variable if set ("512M", "4G", a plain number of
/// bytes), else a default by role (simulation 1 GiB, scheduler 256 MiB, others 16 MiB:
/// reserved, not used, until streams take it), capped so that the pools of the
/// `node_processes` processes of the node take at most half of /dev/shm's free space.
/// InvalidArgument for a malformed setting.
[[nodiscard]] std::size_t default_pool_bytes(Role role, int node_processes);

/// Reads a size as SLUICE_POOL_BYTES takes it: digits, optionally followed by K, M or G
/// (powers of 1024). InvalidArgument otherwise, or beyond 2^50 bytes.
[[nodiscard]] std::size_t parse_size_bytes(std::string_view text);

}  // namespace sluice
