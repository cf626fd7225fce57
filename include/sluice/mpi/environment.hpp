#pragma once
/// @file
/// Initialises MPI if nobody has, and finalises only what it initialised.
///
/// A simulation that already calls MPI_Init keeps doing so: sluice then borrows the
/// running MPI and leaves finalisation to its owner.
///
/// @code
/// int main(int argc, char** argv) {
///   sluice::mpi::Environment mpi(argc, argv);   // MPI_Init_thread(FUNNELED) if needed
///   sluice::Runtime runtime(sluice::Role::simulation);
///   ...
/// }                                             // MPI_Finalize, if we initialised
/// @endcode

#include <string_view>

namespace sluice::mpi {

/// MPI thread support levels, ordered as MPI orders them.
enum class ThreadLevel { single, funneled, serialized, multiple };

/// The MPI_THREAD_* constant of a level, and back.
[[nodiscard]] int to_mpi(ThreadLevel level) noexcept;
[[nodiscard]] ThreadLevel from_mpi(int provided) noexcept;
[[nodiscard]] std::string_view thread_level_name(ThreadLevel level) noexcept;

/// Scoped MPI initialisation. Not copyable, not movable: there is one per process.
class Environment {
 public:
  /// Initialises MPI with at least `required` thread support unless it already is.
  /// Throws sluice::Error if MPI was already finalised, or if the thread level
  /// provided (now or by whoever initialised MPI) is below `required`.
  /// Collective over MPI_COMM_WORLD when it initialises; not thread-safe.
  Environment(int& argc, char**& argv, ThreadLevel required = ThreadLevel::funneled);
  explicit Environment(ThreadLevel required = ThreadLevel::funneled);

  /// Calls MPI_Finalize if this object called MPI_Init and nobody has finalised yet.
  /// Collective in that case. Never throws.
  ~Environment();

  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  Environment(Environment&&) = delete;
  Environment& operator=(Environment&&) = delete;

  /// True if this object initialised MPI (and will finalise it).
  [[nodiscard]] bool initialised_here() const noexcept { return m_initialised_here; }
  /// The thread level MPI provides.
  [[nodiscard]] ThreadLevel provided() const noexcept { return m_provided; }

  /// MPI cannot be finalised in this process any more: the job lost a process (see
  /// Runtime::is_gone) that MPI_Finalize would wait for forever (Open MPI 4.1 frees the
  /// windows left, collectively). The destructor then skips MPI_Finalize, saying
  /// `why`, and the process ends without it (mpirun --enable-recovery accepts that).
  /// A simulation that calls MPI_Finalize itself checks finalize_is_forgone() first.
  static void forgo_finalize(std::string_view why);
  [[nodiscard]] static bool finalize_is_forgone() noexcept;

  [[nodiscard]] static bool is_initialized() noexcept;
  [[nodiscard]] static bool is_finalized() noexcept;

 private:
  void start(int* argc, char*** argv, ThreadLevel required);

  bool m_initialised_here = false;
  ThreadLevel m_provided = ThreadLevel::single;
};

}  // namespace sluice::mpi
