#include "liveness.hpp"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../shm/node_directory.hpp"
#include "../shm/process.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::detail {

namespace {

bool setting_is_on(std::string_view text) {
  return text == "1" || text == "on" || text == "true" || text == "yes";
}

// Whether this job should be watched (see the header): SLUICE_WATCH_PROCESSES decides
// if set, else whether mpirun runs it with --enable-recovery.
bool wants_watching() {
  if (const char* setting = std::getenv("SLUICE_WATCH_PROCESSES"); setting != nullptr) {
    return setting_is_on(setting);
  }
  const char* recovery = std::getenv("OMPI_MCA_orte_enable_recovery");
  return recovery != nullptr && setting_is_on(recovery);
}

// "analytics rank 0 (world rank 3, pid 1234)"
std::string process_name(const Runtime& runtime, int world_rank, std::int64_t pid) {
  const Role role = runtime.role_of(world_rank);
  const auto ranks = runtime.ranks_of(role);
  const auto at = std::find(ranks.begin(), ranks.end(), world_rank) - ranks.begin();
  return std::string(role_name(role)) + " rank " + std::to_string(at) + " (world rank " +
         std::to_string(world_rank) + ", pid " + std::to_string(pid) + ")";
}

}  // namespace

Liveness::Liveness(const Runtime& runtime, std::chrono::milliseconds period)
    : m_runtime(&runtime),
      m_period(period),
      m_state(new std::atomic<int>[static_cast<std::size_t>(runtime.world_size())]) {
  const auto size = static_cast<std::size_t>(runtime.world_size());
  for (std::size_t rank = 0; rank < size; ++rank) {
    m_state[rank].store(running_state, std::memory_order_relaxed);
  }
  const shm::detail::ProcessId mine = shm::detail::this_process();
  const std::uint64_t words[2] = {static_cast<std::uint64_t>(mine.pid), mine.start_ticks};
  std::vector<std::uint64_t> all(2 * size);
  check_mpi(
      MPI_Allgather(words, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, runtime.world().get()),
      "MPI_Allgather", "telling every process the others' process ids");
  m_ids.resize(size);
  for (std::size_t rank = 0; rank < size; ++rank) {
    m_ids[rank] = {static_cast<std::int64_t>(all[2 * rank]), all[2 * rank + 1]};
  }
  m_closing_offset = runtime.pool().reserve(sizeof(std::uint64_t), "the closing word");
  // Every process decides alike (the environment is the job's), but only a shared pool
  // lets the others' closing words be read: the same on every process too.
  if (wants_watching() && runtime.single_node() && runtime.pool().window().is_shared() &&
      size > 1) {
    m_watcher = std::thread([this] { watch(); });
  }
}

Liveness::~Liveness() { close(); }

std::vector<int> Liveness::gone() const {
  std::vector<int> ranks;
  for (int rank = 0; rank < m_runtime->world_size(); ++rank) {
    if (is_gone(rank)) {
      ranks.push_back(rank);
    }
  }
  return ranks;
}

void Liveness::stop() {
  {
    const std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_watcher.joinable()) {
    m_watcher.join();
  }
}

void Liveness::close() {
  if (m_closed) {
    return;
  }
  m_closed = true;
  stop();
  // After the watcher stopped: a process that closes no longer ends itself for
  // another's death, and from here on may end without the others taking it for dead.
  std::atomic_ref<std::uint64_t> word(
      *reinterpret_cast<std::uint64_t*>(m_runtime->pool().local(m_closing_offset)));
  word.store(1, std::memory_order_release);
}

void Liveness::watch() {
  std::unique_lock lock(m_mutex);
  while (!m_wake.wait_for(lock, m_period, [this] { return m_stop; })) {
    lock.unlock();
    check_once();
    lock.lock();
  }
}

void Liveness::check_once() {
  const mpi::Window& window = m_runtime->pool().window();
  for (int rank = 0; rank < m_runtime->world_size(); ++rank) {
    auto& state = m_state[static_cast<std::size_t>(rank)];
    if (rank == m_runtime->world_rank() || state.load(std::memory_order_relaxed) != running_state ||
        shm::detail::is_alive(m_ids[static_cast<std::size_t>(rank)])) {
      continue;
    }
    // Its closing word is read after it was seen gone: a process sets it before it
    // may end, so a process that closed is never taken for a dead one.
    std::atomic_ref<std::uint64_t> closing(
        *reinterpret_cast<std::uint64_t*>(window.shared_base(rank) + m_closing_offset));
    if (closing.load(std::memory_order_acquire) != 0) {
      state.store(closed_state, std::memory_order_release);
      continue;
    }
    state.store(gone_state, std::memory_order_release);
    m_lost.store(true, std::memory_order_release);
    report(rank);
  }
}

void Liveness::report(int world_rank) const {
  const Runtime& runtime = *m_runtime;
  const std::string name =
      process_name(runtime, world_rank, m_ids[static_cast<std::size_t>(world_rank)].pid);
  if (runtime.role_of(world_rank) == Role::simulation) {
    // Its peers wait for it in the simulation's own collectives, forever: end the job
    // as mpirun would without recovery, with the reason, on every process.
    const auto simulation = runtime.ranks_of(Role::simulation);
    const bool first_to_say = std::none_of(simulation.begin(), simulation.end(), [&](int rank) {
      return rank < runtime.world_rank() && rank != world_rank && !is_gone(rank);
    });
    const std::string text = name +
                             " is gone (killed or crashed): the simulation cannot go on "
                             "without it; every process of the job ends (exit status 1)";
    if (first_to_say) {
      log::error(text);
      // Nobody leaves the job's segments on this node (processes that end with
      // _Exit do not): removed now, rather than at the next job's start.
      shm::detail::remove_abandoned_job(runtime.job_id(), runtime.job_instance());
    } else {
      log::debug(text);
    }
    std::fflush(nullptr);
    std::_Exit(1);
  }
  // Said once for the job: by the first simulation rank still running.
  const auto simulation = runtime.ranks_of(Role::simulation);
  const auto first =
      std::find_if(simulation.begin(), simulation.end(), [&](int rank) { return !is_gone(rank); });
  const std::string text = name +
                           " is gone (killed or crashed): the simulation goes on without it; "
                           "producers no longer wait for its subscriptions";
  if (first != simulation.end() && *first == runtime.world_rank()) {
    log::warn(text);
  } else {
    log::debug(text);
  }
}

}  // namespace sluice::detail
