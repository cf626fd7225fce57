#include "sluice/steer/agent.hpp"

#include <mpi.h>

#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "../core/backoff.hpp"
#include "protocol.hpp"
#include "request_server.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/hash.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"

namespace sluice::steer {

namespace {

// Waits for a nonblocking collective without spinning a core in MPI: a paused
// simulation's ranks may wait here for minutes, next to analytics that need the CPU.
void wait_politely(MPI_Request& request) {
  sluice::detail::Backoff backoff(std::chrono::milliseconds(2));
  for (int done = 0;;) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test",
              "waiting for the steering broadcast");
    if (done != 0) {
      return;
    }
    backoff.wait();
  }
}

// Whether every rank of `comm` holds the same `bytes`, compared by size and stable
// hash (never std::hash: ranks may run different builds). Collective.
bool same_on_every_rank(const mpi::Comm& comm, std::string_view bytes) {
  std::uint64_t mine[2] = {bytes.size(), stable_hash(bytes)};
  std::uint64_t lowest[2] = {0, 0};
  std::uint64_t highest[2] = {0, 0};
  check_mpi(MPI_Allreduce(mine, lowest, 2, MPI_UINT64_T, MPI_MIN, comm.get()), "MPI_Allreduce",
            "comparing the parameters of the simulation ranks");
  check_mpi(MPI_Allreduce(mine, highest, 2, MPI_UINT64_T, MPI_MAX, comm.get()), "MPI_Allreduce",
            "comparing the parameters of the simulation ranks");
  return lowest[0] == highest[0] && lowest[1] == highest[1];
}

}  // namespace

Agent::Agent(const Runtime& runtime) : m_runtime(&runtime), m_root(runtime.comm().rank() == 0) {
  const auto services = runtime.ranks_of(Role::service);
  m_services.assign(services.begin(), services.end());
  if (m_root && enabled()) {
    m_server = std::make_unique<detail::RequestServer>(runtime, m_params, m_streams, m_services);
  }
}

Agent::~Agent() = default;

void Agent::require_not_started(const std::string& asked, std::string_view remedy) const {
  if (m_started) {
    throw StateError(asked, "the simulation has started", remedy);
  }
}

ParamEntry& Agent::add_entry(ParamEntry entry) {
  require_not_started("registering parameter '" + entry.name + "'",
                      "register parameters before the first publish or end_iteration");
  return m_params.add(std::move(entry));
}

SteeredStream& Agent::add_stream(std::string_view name, Dtype dtype, Extents shape) {
  require_not_started("registering stream '" + std::string(name) + "' for steering",
                      "expose streams before the first publish");
  return m_streams.add(name, dtype, std::move(shape));
}

void Agent::start() {
  if (m_started) {
    return;
  }
  m_started = true;
  // Every rank must hold the same tables, or a change would mean different things on
  // different ranks.
  if (!same_on_every_rank(m_runtime->comm(),
                          detail::encode_status(m_params.entries(), m_streams.streams()))) {
    throw InvalidArgument("starting the simulation's steering",
                          "the simulation ranks registered different parameters, or differ in "
                          "which streams accept injections",
                          "register the same parameters, with the same defaults and bounds, "
                          "in the same order on every rank, and accept injections on all or "
                          "none");
  }
}

void Agent::broadcast(std::string& batch) {
  const MPI_Comm comm = m_runtime->comm().get();
  std::uint64_t bytes = batch.size();
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(&bytes, 1, MPI_UINT64_T, 0, comm, &request), "MPI_Ibcast",
            "broadcasting steering changes");
  wait_politely(request);
  if (bytes == 0) {
    return;
  }
  batch.resize(bytes);
  check_mpi(MPI_Ibcast(batch.data(), static_cast<int>(bytes), MPI_BYTE, 0, comm, &request),
            "MPI_Ibcast", "broadcasting steering changes");
  wait_politely(request);
}

void Agent::apply(std::string_view batch, std::int64_t from_iteration) {
  while (!batch.empty()) {
    // Rank 0 checked every message before it entered the batch, against the same
    // tables every rank holds.
    detail::RequestHeader change;
    std::memcpy(&change, batch.data(), sizeof(change));
    const std::string_view name = batch.substr(sizeof(change), change.name_bytes);
    const std::string_view body =
        batch.substr(sizeof(change) + change.name_bytes, change.body_bytes);
    batch.remove_prefix(sizeof(change) + change.name_bytes + change.body_bytes);
    switch (change.kind) {
      case detail::RequestKind::set: {
        const ParamEntry& entry = m_params.set(
            name, *detail::value_from_bits(change.type, change.payload), from_iteration);
        if (m_root) {
          log::info("steering: ", entry.name, " = ", to_string(entry.value), " from iteration ",
                    from_iteration);
        }
        break;
      }
      case detail::RequestKind::control_stream: {
        StreamControl control;
        detail::decode_control(body, control);
        const SteeredStream& stream = m_streams.apply_control(name, control, from_iteration);
        if (m_root) {
          const Exposure& e = stream.exposure;
          log::info("steering: stream ", stream.name, (e.enabled ? " on" : " off"), ", every ",
                    e.every, ", region ", e.region.describe(), " from iteration ", from_iteration);
        }
        break;
      }
      case detail::RequestKind::inject: {
        std::string dtype;
        std::string_view data;
        Box region;
        detail::decode_injection(body, dtype, region, data);
        const SteeredStream& stream = m_streams.apply_injection(
            name, region, std::as_bytes(std::span(data.data(), data.size())), from_iteration);
        if (m_root) {
          log::info("steering: injecting ", region.resolved(stream.shape).describe(), " into ",
                    stream.name, " at iteration ", from_iteration);
        }
        break;
      }
      case detail::RequestKind::pause:
        m_paused = true;
        break;
      case detail::RequestKind::resume:
        m_paused = false;
        break;
      case detail::RequestKind::stop:
        m_stop = true;
        m_paused = false;
        break;
      default:
        break;
    }
  }
}

void Agent::end_iteration(std::int64_t iteration) {
  start();
  m_iteration = iteration;
  m_streams.warn_untaken(iteration);
  if (!enabled()) {
    return;
  }
  bool was_paused = false;
  do {
    std::string batch = std::exchange(m_pending, {});
    m_stop_pending = false;
    if (m_server) {
      m_server->collect(batch, m_paused, m_iteration, m_paused);
    }
    broadcast(batch);
    apply(batch, iteration + 1);
    if (m_server) {
      m_server->confirm(iteration + 1, m_paused);
      if (m_paused && !was_paused) {
        log::info("steering: paused before iteration ", iteration + 1);
      }
    }
    was_paused = m_paused;
  } while (m_paused && !m_stop);
}

bool Agent::wait_on(std::string_view waiting) {
  if (m_server && !m_closed) {
    m_stop_pending =
        m_server->collect(m_pending, false, m_iteration, m_paused, waiting) || m_stop_pending;
  }
  return m_stop_pending;
}

void Agent::close() {
  if (m_closed) {
    return;
  }
  m_closed = true;
  if (m_server) {
    m_server->close(m_iteration, m_paused);
  }
}

}  // namespace sluice::steer
