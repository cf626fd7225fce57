#include "sluice/runtime/pool.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/info.hpp"

namespace sluice {

// Measured on this kind of machine (2 processes, Open MPI 4.1.4, osc sm; see
// bench/mpi/bm_stream_windows.cpp):
// POOL-MEASUREMENTS
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
    throw StateError(
        "reserving " + std::to_string(bytes) + " bytes of window memory for " + std::string(what),
        "this process's pool has " + std::to_string(capacity_bytes() - m_used) + " of its " +
            std::to_string(capacity_bytes()) + " bytes left",
        "give the process a larger pool: SLUICE_POOL_BYTES=4G (or RuntimeOptions::pool_bytes); "
        "untouched pool memory costs nothing");
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

std::size_t default_pool_bytes(Role role) {
  if (const char* setting = std::getenv("SLUICE_POOL_BYTES"); setting != nullptr) {
    return parse_size_bytes(setting);
  }
  switch (role) {
    case Role::simulation:
      return std::size_t{1} << 30;
    case Role::scheduler:
      return std::size_t{256} << 20;
    default:
      return std::size_t{16} << 20;
  }
}

}  // namespace sluice
