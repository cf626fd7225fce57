#include "sluice/runtime/pool.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/info.hpp"

namespace sluice {

// Why a pool: measured on this kind of machine (2 processes, Open MPI 4.1.4 with the
// one-sided components scripts/sluice-mpirun sets, a loaded machine; compare within a
// row group): `scripts/sluice-mpirun -np 2 build/bench/bm_mpi_stream_windows`.
//   window kind                      64 MiB Get   fetch&op   in place   new stream after start
//   per-stream allocate_shared (job)  2.2-4.3 GB/s  0.02 us    yes        collective over the job
//   allocate_shared, sub-communicator 2.1-4.4 GB/s  0.02 us    yes        collective over its
//                                                                         members; later readers
//                                                                         cannot join
//   dynamic window + attach           0.8-1.6 GB/s  2.6-44 us  no         local (osc pt2pt; a
//                                                                         busy target stalls
//                                                                         reads ~250 ms)
//   pool (allocate_shared, 1 GiB)     1.9-5.8 GB/s  0.02 us    yes        local (an offset)
// An untouched pool costs nothing: RSS, /dev/shm and the session directory grew by 0
// for 1 GiB (only address space), and by exactly what was written afterwards; osc sm
// does not touch the pages. Its backing file is one sparse file in /dev/shm for the
// node's processes, which Open MPI's rank 0 checks against the free space there: the
// default size is capped so that the node's pools fit in half of it.
Pool::Pool(const mpi::Comm& world, bool single_node, std::size_t bytes) {
  if (single_node) {
    // Each process's part on its own pages, not packed after the previous one's.
    mpi::Info info;
    info.set("alloc_shared_noncontig", "true");
    try {
      m_window = mpi::Window::allocate_shared(world, bytes, 1, info);
    } catch (const MpiError& e) {
      // A one-sided component that cannot make shared windows (OMPI_MCA_osc=rdma or
      // pt2pt) fails alike on every process, which all fall back together.
      log::debug("no shared window (", e.what(), "); readers will pull with MPI_Get");
    }
  }
  if (m_window.is_null()) {
    m_window = mpi::Window::allocate(world, bytes);
  }
  m_epoch.emplace(m_window.lock_all());
}

Pool::~Pool() { m_epoch.reset(); }

std::size_t Pool::reserve(std::size_t bytes, std::string_view what) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded > capacity_bytes() - m_used) {
    // The default pool is capped by /dev/shm's free space, which a larger setting
    // would not create: say how much there is.
    std::string shm_free;
    struct statvfs shm {};
    if (statvfs("/dev/shm", &shm) == 0) {
      shm_free = "; /dev/shm, which backs the pools, has " +
                 std::to_string(static_cast<std::size_t>(shm.f_bavail) * shm.f_frsize >> 20) +
                 " MiB free (default pools take at most half of it: free space there)";
    }
    throw StateError(
        "reserving " + std::to_string(bytes) + " bytes of window memory for " + std::string(what),
        "this process's pool has " + std::to_string(capacity_bytes() - m_used) + " of its " +
            std::to_string(capacity_bytes()) + " bytes left",
        "give the process a larger pool: SLUICE_POOL_BYTES=4G (or RuntimeOptions::pool_bytes); "
        "untouched pool memory costs nothing" +
            shm_free);
  }
  const std::size_t offset = m_used;
  m_used += rounded;
  // Zeroing also faults the pages in now, not during the first iterations (measured:
  // the first publish of a 256 MiB block took 30x a memcpy otherwise).
  std::memset(local(offset), 0, rounded);
  m_window.sync();
  return offset;
}

void Pool::free() {
  if (m_window.is_null()) {
    return;
  }
  m_epoch.reset();
  m_window.free();
}

void Pool::abandon() noexcept {
  // Ending the epoch is local (MPI_Win_unlock_all completes this process's own
  // operations); the free is not.
  m_epoch.reset();
  m_window.abandon();
}

std::size_t parse_size_bytes(std::string_view text) {
  const auto refuse = [&](std::string_view why) {
    return InvalidArgument("reading the size '" + std::string(text) + "'", std::string(why),
                           "write a number of bytes, optionally with K, M or G: 512M, 4G");
  };
  std::size_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop == text.data()) {
    throw refuse("it does not start with a whole number");
  }
  int shift = 0;
  const std::string_view unit(stop, static_cast<std::size_t>(end - stop));
  if (unit == "K" || unit == "k") {
    shift = 10;
  } else if (unit == "M" || unit == "m") {
    shift = 20;
  } else if (unit == "G" || unit == "g") {
    shift = 30;
  } else if (!unit.empty()) {
    throw refuse("'" + std::string(unit) + "' is not a unit");
  }
  constexpr std::size_t limit = std::size_t{1} << 50;
  if (value > (limit >> shift)) {
    throw refuse("it is more than 2^50 bytes");
  }
  return value << shift;
}

std::size_t default_pool_bytes(Role role, int node_processes) {
  if (const char* setting = std::getenv("SLUICE_POOL_BYTES"); setting != nullptr) {
    return parse_size_bytes(setting);
  }
  std::size_t bytes = 0;
  switch (role) {
    case Role::simulation:
      bytes = std::size_t{1} << 30;
      break;
    case Role::scheduler:
      bytes = std::size_t{256} << 20;
      break;
    default:
      bytes = std::size_t{16} << 20;
      break;
  }
  // Every pool of the node is backed by /dev/shm: leave half of it free.
  struct statvfs shm {};
  if (statvfs("/dev/shm", &shm) == 0 && node_processes > 0) {
    const auto free_bytes = static_cast<std::size_t>(shm.f_bavail) * shm.f_frsize;
    const std::size_t share = free_bytes / 2 / static_cast<std::size_t>(node_processes);
    constexpr std::size_t floor_bytes = std::size_t{1} << 20;
    bytes = std::max(std::min(bytes, share), floor_bytes);
  }
  return bytes;
}

}  // namespace sluice
