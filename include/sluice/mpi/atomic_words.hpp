#pragma once
/// @file
/// Atomic operations on the 64-bit words of an RMA window, each complete on return.
///
/// Words that one process writes and another reads through a window are accessed
/// with atomics, never with plain loads and stores, in one of two ways chosen by the
/// window, so that every process of the window uses the same:
/// - a window made by allocate_shared (every process maps the others' memory): CPU
///   atomics (std::atomic_ref, sequentially consistent) on the mapped words. Open
///   MPI's osc sm serialises MPI atomics with one lock per target and window, which
///   the streams sharing a process's pool would all contend for (measured: the fixed
///   cost of a step 7-9% higher, 1.4-2x under load, with five streams in one window);
///   a CPU atomic takes no lock.
/// - any other window: MPI atomics (MPI_Fetch_and_op, MPI_Accumulate,
///   MPI_Get_accumulate), each flushed (MPI_Win_flush) before it returns; MPI only
///   guarantees that atomics see each other, whichever one-sided component (osc rdma,
///   pt2pt) serves the window.
/// Either way a protocol built on these words runs in the program's order.
///
/// Word `w` of a target is the uint64 at byte offset 8·w of its window memory: the
/// window must have displacement unit 1 (Window::allocate's default).
///
/// @code
/// auto window = sluice::mpi::Window::allocate(comm, 8 * sizeof(std::uint64_t));  // collective
/// auto epoch = window.lock_all();
/// sluice::mpi::AtomicWords words(window);
/// words.add(0, /*word=*/2, 1);                 // fetch-and-add on rank 0's word 2
/// const std::uint64_t now = words.load(0, 2);
/// @endcode
///
/// Every call is local and must be made inside a passive-target epoch on the window
/// (Window::lock_all). An AtomicWords is a cheap non-owning view (the window must
/// outlive it); calls from several threads need MPI_THREAD_MULTIPLE.

#include <mpi.h>

#include <cstdint>
#include <string_view>

#include "sluice/mpi/window.hpp"

namespace sluice::mpi {

class AtomicWords {
 public:
  /// `what` names the words in error messages ("a stream control word").
  explicit AtomicWords(const Window& window, std::string_view what = "a window word") noexcept
      : m_window(&window), m_what(what) {}

  /// Atomically reads word `word` of `rank` (MPI_Fetch_and_op with MPI_NO_OP).
  [[nodiscard]] std::uint64_t load(int rank, MPI_Aint word) const;

  /// Atomically reads `count` consecutive words into `out`; each word is atomic on
  /// its own, not the group (MPI_Get_accumulate with MPI_NO_OP).
  void load_many(int rank, MPI_Aint first_word, int count, std::uint64_t* out) const;

  /// Atomically replaces word `word` of `rank` (MPI_Accumulate with MPI_REPLACE).
  void store(int rank, MPI_Aint word, std::uint64_t value) const;

  /// Replaces `count` consecutive words in one call; each is atomic, their order is not.
  void store_many(int rank, MPI_Aint first_word, int count, const std::uint64_t* values) const;

  /// Replaces two consecutive words in one call; each is atomic, their order is not.
  void store_pair(int rank, MPI_Aint first_word, std::uint64_t first, std::uint64_t second) const;

  /// Atomically adds `value` to word `word` of `rank`; returns the word's previous
  /// value (MPI_Fetch_and_op with MPI_SUM; unsigned, so it wraps).
  std::uint64_t add(int rank, MPI_Aint word, std::uint64_t value) const;

  [[nodiscard]] const Window& window() const noexcept { return *m_window; }

 private:
  static MPI_Aint offset(MPI_Aint word) noexcept {
    return word * static_cast<MPI_Aint>(sizeof(std::uint64_t));
  }
  // The word in the mapped memory of a shared window.
  [[nodiscard]] std::uint64_t& mapped(int rank, MPI_Aint word) const noexcept {
    return *reinterpret_cast<std::uint64_t*>(m_window->shared_base(rank) + offset(word));
  }

  const Window* m_window;
  std::string_view m_what;
};

}  // namespace sluice::mpi
