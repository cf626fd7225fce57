#include "sluice/runtime/runtime.hpp"

#include <mpi.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "../shm/node_directory.hpp"
#include "liveness.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"

namespace sluice {
namespace {

// What each process contributes to the exchange: its role (or why it has none) and
// the roles it requires, as a bit mask.
constexpr int no_role = -1;
constexpr int unknown_role = -2;

struct Declaration {
  int role;
  int required_mask;
};

int code_of(Role role) { return static_cast<int>(role); }

int mask_of(const std::vector<Role>& roles) {
  int mask = 0;
  for (Role role : roles) {
    mask |= 1 << code_of(role);
  }
  return mask;
}

std::string rank_list(const std::vector<int>& ranks) {
  std::string text;
  for (int rank : ranks) {
    text += text.empty() ? "" : ", ";
    text += std::to_string(rank);
  }
  return text;
}

std::string role_names() {
  std::string text;
  for (Role role : all_roles) {
    text += text.empty() ? "" : ", ";
    text += role_name(role);
  }
  return text;
}

// World rank 0 names the job for external readers (SLUICE_JOB_ID, or drawn; none when
// it has SLUICE_EXTERNAL_READERS=off), draws the number that tells apart two jobs
// given the same name, and tells the others. Collective over `world`.
struct JobName {
  std::string id;
  std::uint32_t instance = 0;
};

bool is_valid_job_id(std::string_view id) {
  return !id.empty() && id.size() <= 12 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

JobName agree_on_job_id(const mpi::Comm& world) {
  struct {
    char id[16];
    std::uint32_t instance;
  } name{};
  if (world.rank() == 0) {
    const char* setting = std::getenv("SLUICE_EXTERNAL_READERS");
    if (setting == nullptr || std::strcmp(setting, "off") != 0) {
      std::string id = shm::detail::new_job_id();
      if (const char* chosen = std::getenv("SLUICE_JOB_ID"); chosen != nullptr) {
        if (is_valid_job_id(chosen)) {
          id = chosen;
        } else {
          log::warn("SLUICE_JOB_ID='", chosen,
                    "' is not 1 to 12 letters, digits or '_': the job is named ", id);
        }
      }
      id.copy(name.id, sizeof(name.id) - 1);
      name.instance =
          static_cast<std::uint32_t>(std::stoull(shm::detail::new_job_id(), nullptr, 16));
    }
  }
  check_mpi(MPI_Bcast(&name, sizeof(name), MPI_BYTE, 0, world.get()), "MPI_Bcast",
            "agreeing on the job id of the shared-memory segments");
  return {name.id, name.instance};
}

// MPI_Iallgather on MPI_COMM_WORLD, waited for with a deadline: if a process of the
// job never constructs a Runtime, the others get an error instead of hanging. It
// runs on the world communicator itself (not a duplicate) because MPI_Comm_dup is
// a blocking collective that would hang in exactly that case.
std::vector<Declaration> exchange_declarations(Declaration mine,
                                               std::chrono::milliseconds join_timeout) {
  int size = 0;
  check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  std::vector<Declaration> all(static_cast<std::size_t>(size));
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallgather(&mine, 2, MPI_INT, all.data(), 2, MPI_INT, MPI_COMM_WORLD, &request),
            "MPI_Iallgather", "exchanging the role of every process");

  const auto deadline = std::chrono::steady_clock::now() + join_timeout;
  auto pause = std::chrono::microseconds(10);
  for (;;) {
    int done = 0;
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test",
              "waiting for every process to declare its role");
    if (done != 0) {
      return all;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw RoleError("starting the sluice runtime",
                      "not every process of MPI_COMM_WORLD constructed a sluice::Runtime within " +
                          std::to_string(join_timeout.count()) + " ms",
                      "every program on the mpirun command line must create a Runtime with its "
                      "role; this job cannot continue");
    }
    // Back off: the job is often oversubscribed and the late process needs the core.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
}

void validate(const std::vector<Declaration>& all, int my_rank, std::string_view my_text) {
  std::vector<int> without_role;
  std::vector<int> with_unknown_role;
  int required = 0;
  int present = 0;
  for (std::size_t rank = 0; rank < all.size(); ++rank) {
    required |= all[rank].required_mask;
    if (all[rank].role == no_role) {
      without_role.push_back(static_cast<int>(rank));
    } else if (all[rank].role == unknown_role) {
      with_unknown_role.push_back(static_cast<int>(rank));
    } else {
      present |= 1 << all[rank].role;
    }
  }
  const std::string asked = "starting the sluice runtime";
  if (!with_unknown_role.empty()) {
    std::string problem =
        "world rank(s) " + rank_list(with_unknown_role) + " declared a role that does not exist";
    if (all[static_cast<std::size_t>(my_rank)].role == unknown_role) {
      problem += " (this process declared '" + std::string(my_text) + "')";
    }
    throw RoleError(asked, problem, "the roles are " + role_names());
  }
  if (!without_role.empty()) {
    throw RoleError(asked, "world rank(s) " + rank_list(without_role) + " declared no role",
                    "give every process a role: " + role_names());
  }
  for (Role role : all_roles) {
    const int bit = 1 << code_of(role);
    if ((required & bit) != 0 && (present & bit) == 0) {
      throw RoleError(asked,
                      "no process declared the role '" + std::string(role_name(role)) +
                          "', which this job requires",
                      "add processes of that role to the mpirun command line, e.g. "
                      "'mpirun -np 2 sim : -np 1 other'");
    }
  }
}

}  // namespace

static int declared_code(std::string_view text) {
  if (text.empty()) {
    return no_role;
  }
  const auto role = parse_role(text);
  return role ? code_of(*role) : unknown_role;
}

Runtime::Runtime(Role role, RuntimeOptions options) : Runtime(code_of(role), {}, options) {}

Runtime::Runtime(std::string_view role_name, RuntimeOptions options)
    : Runtime(declared_code(role_name), role_name, options) {}

Runtime::Runtime(int declared, std::string_view declared_text, const RuntimeOptions& options) {
  if (!mpi::Environment::is_initialized() || mpi::Environment::is_finalized()) {
    throw StateError("starting the sluice runtime", "MPI is not initialised (or already finalised)",
                     "create a sluice::mpi::Environment (or call MPI_Init) first");
  }
  check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &m_world_rank), "MPI_Comm_rank");
  const auto all =
      exchange_declarations({declared, mask_of(options.required_roles)}, options.join_timeout);
  validate(all, m_world_rank, declared_text);

  m_role = static_cast<Role>(declared);
  m_roles.reserve(all.size());
  for (std::size_t rank = 0; rank < all.size(); ++rank) {
    const auto role = static_cast<Role>(all[rank].role);
    m_roles.push_back(role);
    m_ranks[static_cast<std::size_t>(all[rank].role)].push_back(static_cast<int>(rank));
  }
  // Every process is known to be here now, so blocking collectives are safe.
  m_world = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  m_role_comm = m_world.split(declared, m_world_rank);
  // Which processes share a node: each node is named by its lowest world rank.
  mpi::Comm node = m_world.split_shared();
  int leader = m_world_rank;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &leader, 1, MPI_INT, MPI_MIN, node.get()), "MPI_Allreduce",
            "finding the processes of this node");
  m_node_of.assign(all.size(), 0);
  check_mpi(MPI_Allgather(&leader, 1, MPI_INT, m_node_of.data(), 1, MPI_INT, m_world.get()),
            "MPI_Allgather", "telling every process where the others run");
  m_single_node = node.size() == static_cast<int>(all.size());
  JobName job = agree_on_job_id(m_world);
  m_job_id = std::move(job.id);
  m_job_instance = job.instance;
  const std::size_t pool_bytes =
      options.pool_bytes != 0 ? options.pool_bytes : default_pool_bytes(m_role, node.size());
  node.free();
  m_pool = std::make_unique<Pool>(m_world, m_single_node, pool_bytes);
  m_catalog = std::make_unique<Catalog>(*m_pool, m_world_rank, world_size());
  m_liveness = std::make_unique<detail::Liveness>(*this, std::chrono::milliseconds(100));
  log::set_identity(role_name(m_role), m_role_comm.rank());
  log::debug("runtime started: world rank ", m_world_rank, " of ", all.size());
}

std::span<const int> Runtime::ranks_of(Role role) const noexcept {
  return m_ranks[static_cast<std::size_t>(code_of(role))];
}

Role Runtime::role_of(int world_rank) const {
  if (world_rank < 0 || world_rank >= world_size()) {
    throw InvalidArgument("role_of(" + std::to_string(world_rank) + ")",
                          "the job has world ranks 0 to " + std::to_string(world_size() - 1));
  }
  return m_roles[static_cast<std::size_t>(world_rank)];
}

int Runtime::node_of(int world_rank) const {
  (void)role_of(world_rank);  // the range check
  return m_node_of[static_cast<std::size_t>(world_rank)];
}

bool Runtime::shares_node_with(int world_rank) const {
  (void)role_of(world_rank);  // the range check
  return m_node_of[static_cast<std::size_t>(world_rank)] ==
         m_node_of[static_cast<std::size_t>(m_world_rank)];
}

bool Runtime::is_gone(int world_rank) const noexcept {
  return m_liveness && world_rank >= 0 && world_rank < world_size() &&
         m_liveness->is_gone(world_rank);
}

std::vector<int> Runtime::gone() const {
  return m_liveness ? m_liveness->gone() : std::vector<int>{};
}

bool Runtime::any_gone() const noexcept { return m_liveness && m_liveness->lost_any(); }

// Closing in a job that lost a process: nothing collective can include it.
void Runtime::leave_to_process_end() {
  if (!m_liveness || m_left_on_error) {
    return;
  }
  m_liveness->close();
  if (!m_liveness->lost_any()) {
    return;
  }
  std::string lost;
  for (int rank : m_liveness->gone()) {
    lost += (lost.empty() ? "" : ", ") + std::string(role_name(role_of(rank))) + " (world rank " +
            std::to_string(rank) + ")";
  }
  const std::string why = "the job lost " + lost +
                          ", which freeing the job's windows and MPI_Finalize would wait for "
                          "forever; both are left to the end of this process";
  if (m_pool) {
    m_pool->abandon();
  }
  mpi::Environment::forgo_finalize(why);
}

void Runtime::leave_on_error() {
  if (m_world.is_null() || m_left_on_error) {
    return;  // freed or left already
  }
  if (m_liveness && m_liveness->watching()) {
    // Not marked closed: the others see this process gone once it ends.
    m_left_on_error = true;
    m_liveness->stop();
    if (m_pool) {
      m_pool->abandon();
    }
    mpi::Environment::forgo_finalize(
        "this process left the job on an error; the others go on without it");
    return;
  }
  try {
    start();
    free();
  } catch (const std::exception& e) {
    log::warn("leaving the job on an error: ", e.what());
  }
}

Runtime::~Runtime() {
  if (std::uncaught_exceptions() > 0 && m_role != Role::simulation) {
    leave_on_error();
  }
  leave_to_process_end();
}

void Runtime::finish_setup() const {
  if (m_setup_finished) {
    return;
  }
  m_world.barrier();
  m_setup_finished = true;
}

void Runtime::start() const {
  while (!start_when_ready()) {
    // Waits in MPI_Wait rather than spinning: MPI_Test in a loop would do the same
    // with a core busy.
    check_mpi(MPI_Wait(&m_start_request, MPI_STATUS_IGNORE), "MPI_Wait", "starting the job");
    m_started = true;
  }
}

bool Runtime::start_when_ready() const {
  if (m_started) {
    return true;
  }
  finish_setup();
  // Every process takes the second step with MPI_Ibarrier: nonblocking and blocking
  // collectives do not match each other.
  if (m_start_request == MPI_REQUEST_NULL) {
    check_mpi(MPI_Ibarrier(m_world.get(), &m_start_request), "MPI_Ibarrier", "starting the job");
  }
  int done = 0;
  check_mpi(MPI_Test(&m_start_request, &done, MPI_STATUS_IGNORE), "MPI_Test", "starting the job");
  m_started = done != 0;
  return m_started;
}

void Runtime::free() {
  leave_to_process_end();
  if (m_pool) {
    m_pool->free();
  }
  if (!m_role_comm.is_null()) {
    m_role_comm.free();
  }
  if (!m_world.is_null()) {
    m_world.free();
  }
}

}  // namespace sluice
