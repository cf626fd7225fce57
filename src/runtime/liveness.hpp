#pragma once
// Private: which processes of the job are gone (killed or crashed), so that the others
// stop waiting for them.
//
// Open MPI 4.1 run with `mpirun --enable-recovery` keeps a job's other processes
// running when one dies, but tells them nothing, and anything collective that
// includes the dead process waits forever: a window's free (a barrier), and so
// MPI_Finalize, which frees the windows left. sluice therefore watches, on its own:
// each process has a thread that checks every `period` whether the other processes
// of its node still exist (pid and start time, no MPI call), and a word in every
// process's pool that it sets when it closes, so that a process ending normally is
// not taken for a dead one. What it does on a death:
//   - a simulation rank: the simulation cannot go on without it (its collectives
//     would wait forever), so every process ends at once, exit status 1, after one
//     message naming it;
//   - any other process (analytics, scheduler, steering server): it is marked gone;
//     producers stop waiting for it at once (channel.cpp evicts its subscriptions),
//     and the close skips what would include it (Runtime::free, Environment).
// Only for jobs on one node (the pids of other nodes cannot be checked, nor their
// closing words read in place) run with Open MPI's recovery (without it, mpirun ends
// the whole job itself when a process dies); otherwise nothing is watched and no
// process is ever gone.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../shm/segment.hpp"

namespace sluice {
class Runtime;
}

namespace sluice::detail {

class Liveness {
 public:
  // Collective over the job (exchanges every process's id). Reserves the closing
  // words in the pool: call right after the catalog's reservation, on every process
  // (the same offset everywhere). Watches when the job runs on one node with a shared
  // pool and Open MPI's recovery is on (SLUICE_WATCH_PROCESSES=on/off overrides).
  Liveness(const Runtime& runtime, std::chrono::milliseconds period);
  Liveness(const Liveness&) = delete;
  Liveness& operator=(const Liveness&) = delete;
  ~Liveness();

  [[nodiscard]] bool watching() const noexcept { return m_watcher.joinable(); }
  // Whether `world_rank` ended without closing, as far as the watcher has seen.
  // Thread-safe, one atomic load.
  [[nodiscard]] bool is_gone(int world_rank) const noexcept {
    return m_state[static_cast<std::size_t>(world_rank)].load(std::memory_order_acquire) ==
           gone_state;
  }
  [[nodiscard]] bool lost_any() const noexcept { return m_lost.load(std::memory_order_acquire); }
  // The gone processes, ascending.
  [[nodiscard]] std::vector<int> gone() const;

  // Stops watching. Idempotent.
  void stop();
  // This process closes: stops watching and tells the others (its closing word), so
  // that its end is not taken for a death. Idempotent.
  void close();

 private:
  static constexpr int running_state = 0;
  static constexpr int closed_state = 1;  // ended after closing
  static constexpr int gone_state = 2;    // ended without closing

  void watch();
  void check_once();
  void report(int world_rank) const;

  const Runtime* m_runtime;
  std::chrono::milliseconds m_period;
  std::vector<shm::detail::ProcessId> m_ids;  // per world rank
  std::size_t m_closing_offset = 0;           // in every pool
  std::unique_ptr<std::atomic<int>[]> m_state;
  std::atomic<bool> m_lost{false};
  bool m_closed = false;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::thread m_watcher;
};

}  // namespace sluice::detail
