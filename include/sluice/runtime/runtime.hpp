#pragma once
/// @file
/// sluice::Runtime: who is who in an MPMD job.
///
/// Every process of MPI_COMM_WORLD constructs one Runtime, declaring its role. The
/// runtime exchanges the declarations, checks that they make a valid job, and splits
/// the world by role, as Damaris does: the simulation gets its own communicator
/// (use it where the simulation used MPI_COMM_WORLD), and every process learns which
/// world ranks play which role.
///
/// A bad job is a clear error on every process, never a hang: a process that
/// declared no role or an unknown one, a required role nobody declared, or a
/// process that never constructs a Runtime (after `join_timeout`) all throw
/// RoleError with the world ranks involved.
///
/// @code
/// // mpirun -np 4 heat2d : -np 1 heat2d-analytics
/// sluice::mpi::Environment mpi(argc, argv);
/// sluice::Runtime runtime(sluice::Role::simulation);
/// MPI_Comm sim = runtime.comm().get();          // the 4 simulation ranks
/// int consumer = runtime.ranks_of(sluice::Role::analytics).front();
/// @endcode

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/mpi/comm.hpp"
#include "sluice/runtime/catalog.hpp"
#include "sluice/runtime/pool.hpp"
#include "sluice/runtime/role.hpp"

namespace sluice {

namespace detail {
class Liveness;
}

struct RuntimeOptions {
  /// Roles that at least one process must declare. Every process may list its own;
  /// the job needs the union of them.
  std::vector<Role> required_roles{Role::simulation};
  /// How long to wait for every process of MPI_COMM_WORLD to construct its Runtime.
  std::chrono::milliseconds join_timeout{std::chrono::seconds(60)};
  /// Window memory this process reserves for the streams it produces (see Pool); 0:
  /// SLUICE_POOL_BYTES, or a default by role (default_pool_bytes).
  std::size_t pool_bytes = 0;
};

/// Not copyable or movable: communicators derived from it are handed out by reference.
class Runtime {
 public:
  /// Declares `role` for this process. Collective over MPI_COMM_WORLD; MPI must be
  /// initialised (see mpi::Environment). Throws RoleError if the job is not valid.
  explicit Runtime(Role role, RuntimeOptions options = {});

  /// Declares the role named `role_name` (from a command line or SLUICE_ROLE). An
  /// empty name declares no role. Either mistake still takes part in the exchange,
  /// so that every process reports the same RoleError rather than some hanging.
  explicit Runtime(std::string_view role_name, RuntimeOptions options = {});

  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  Runtime(Runtime&&) = delete;
  Runtime& operator=(Runtime&&) = delete;
  ~Runtime();

  /// This process's role.
  [[nodiscard]] Role role() const noexcept { return m_role; }

  /// sluice's own duplicate of MPI_COMM_WORLD, so that its traffic never matches
  /// the application's messages. Every process of the job is in it.
  [[nodiscard]] const mpi::Comm& world() const noexcept { return m_world; }

  /// The communicator of this process's role (for a simulation rank: the
  /// simulation's communicator, ranks ordered as in MPI_COMM_WORLD).
  [[nodiscard]] const mpi::Comm& comm() const noexcept { return m_role_comm; }

  /// World ranks (in world()) of the processes playing `role`, ascending; empty if
  /// none. Local, thread-safe.
  [[nodiscard]] std::span<const int> ranks_of(Role role) const noexcept;

  /// The role of a world rank. Throws InvalidArgument if out of range.
  [[nodiscard]] Role role_of(int world_rank) const;

  [[nodiscard]] bool has(Role role) const noexcept { return !ranks_of(role).empty(); }
  [[nodiscard]] int world_rank() const noexcept { return m_world_rank; }
  [[nodiscard]] int world_size() const noexcept { return static_cast<int>(m_roles.size()); }

  /// Whether a world rank runs on this process's node (shares memory with it,
  /// MPI_COMM_TYPE_SHARED). Throws InvalidArgument if out of range.
  [[nodiscard]] bool shares_node_with(int world_rank) const;
  /// The node a world rank runs on, named by the lowest world rank there. Local.
  [[nodiscard]] int node_of(int world_rank) const;
  /// Whether the whole job runs on one node.
  [[nodiscard]] bool single_node() const noexcept { return m_single_node; }
  /// The name under which processes outside the job (sluice-tap, sluice::shm::Tap)
  /// find its streams on a node: world rank 0's SLUICE_JOB_ID (1 to 12 letters, digits
  /// or '_'), else drawn by it; the same on every process; empty when world rank 0 has
  /// SLUICE_EXTERNAL_READERS=off.
  [[nodiscard]] const std::string& job_id() const noexcept { return m_job_id; }
  /// A number drawn with the id that tells apart two jobs given the same SLUICE_JOB_ID
  /// (the second one on a node runs without external readers, and says so).
  [[nodiscard]] std::uint32_t job_instance() const noexcept { return m_job_instance; }

  /// The window memory of every process of the job, from which streams are made.
  [[nodiscard]] Pool& pool() const noexcept { return *m_pool; }
  /// Where every process publishes the streams it produces.
  [[nodiscard]] Catalog& catalog() const noexcept { return *m_catalog; }

  /// The job's set-up phase ends in two steps that every process takes, whatever its
  /// role. finish_setup(): the streams exposed so far are in the catalog; readers
  /// subscribe after it. start(): producers may publish; subscriptions made between
  /// the two get every iteration from the first. Collective over the job, each once;
  /// start() takes the first step if it was not taken; both are idempotent. A process
  /// that neither produces nor reads calls start() (sluice's own services do). The
  /// phase belongs to the job, not to this object, hence const.
  void finish_setup() const;
  void start() const;
  /// start() without waiting for the others: takes the first step (blocking), then
  /// returns whether every process has reached start(). Call it again until true; a
  /// service keeps serving meanwhile (the scheduler ring installs graphs during the
  /// set-up, so that they read every iteration from the first). start() and this are
  /// the same collective (a nonblocking barrier) and may be mixed across processes.
  bool start_when_ready() const;
  [[nodiscard]] bool is_setup_finished() const noexcept { return m_setup_finished; }
  [[nodiscard]] bool is_started() const noexcept { return m_started; }

  /// Whether process `world_rank` of the job ended without closing (killed or
  /// crashed), as far as this process has seen. Noticed within 0.1 s for a job on one
  /// node run with Open MPI's recovery (`mpirun --enable-recovery`), which keeps the
  /// other processes running; never true otherwise (without recovery, mpirun ends the
  /// whole job). Producers stop waiting for a gone reader at once; the death of a
  /// simulation rank ends every process of the job (exit status 1), as the simulation
  /// cannot go on without it. Thread-safe, one atomic load.
  [[nodiscard]] bool is_gone(int world_rank) const noexcept;
  /// The processes gone so far, ascending; whether there is any (one atomic load).
  [[nodiscard]] std::vector<int> gone() const;
  [[nodiscard]] bool any_gone() const noexcept;

  /// For a process that is not a simulation rank, after an error that ends its part:
  /// the simulation goes on without it. Call it once its consumers, producers and
  /// graph clients are gone (their subscriptions closed), then return from main. When
  /// the job's processes are watched (mpirun --enable-recovery) the others see it gone
  /// and close without it, and MPI is not finalised here (it would wait for them);
  /// otherwise an early end would make mpirun end the whole job, so it takes its part
  /// in the job's remaining collectives (start, free) and ends with the job. The
  /// destructor does the same when an exception unwinds it.
  void leave_on_error();

  /// Frees the pool and the communicators. Collective over MPI_COMM_WORLD: it returns
  /// once every process is done with the others' streams. Optional: without it the
  /// destructor frees them. In a job that lost a process nothing collective can
  /// include it: the pool is left to the end of the process, and so is MPI
  /// (mpi::Environment::forgo_finalize), with one message saying why.
  void free();

 private:
  Runtime(int declared, std::string_view declared_text, const RuntimeOptions& options);
  void leave_to_process_end();

  Role m_role = Role::simulation;
  int m_world_rank = 0;
  mpi::Comm m_world;
  mpi::Comm m_role_comm;
  std::vector<Role> m_roles;                               // indexed by world rank
  std::array<std::vector<int>, all_roles.size()> m_ranks;  // world ranks per role
  std::vector<int> m_node_of;  // per world rank: the lowest world rank of its node
  bool m_single_node = true;
  std::string m_job_id;
  std::uint32_t m_job_instance = 0;
  // Declared after the communicators: destroyed (freed) before them.
  std::unique_ptr<Pool> m_pool;
  std::unique_ptr<Catalog> m_catalog;
  // Declared after the pool: stops watching (reading the others' pools) before it goes.
  std::unique_ptr<detail::Liveness> m_liveness;
  mutable bool m_setup_finished = false;
  mutable bool m_started = false;
  mutable MPI_Request m_start_request = MPI_REQUEST_NULL;  // the second step, in flight
  bool m_left_on_error = false;  // leave_on_error() under watching: never marked closed
};

}  // namespace sluice
