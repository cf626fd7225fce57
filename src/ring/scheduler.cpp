#include "sluice/ring/scheduler.hpp"

#include <mpi.h>

#include <string>
#include <vector>

#include "../core/backoff.hpp"
#include "directory_protocol.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"

namespace sluice::ring {

HashRing ring_of(const Runtime& runtime) {
  const auto schedulers = runtime.ranks_of(Role::scheduler);
  if (schedulers.empty()) {
    throw RoleError("building the scheduler ring", "the job has no scheduler process",
                    "start sluice-scheduler processes in the mpirun command line");
  }
  HashRing ring;
  for (int rank : schedulers) {
    ring.add(rank);
  }
  return ring;
}

Scheduler::Scheduler(const Runtime& runtime) : m_runtime(&runtime), m_ring(ring_of(runtime)) {
  if (runtime.role() != Role::scheduler) {
    throw RoleError("creating a sluice::ring::Scheduler",
                    "this process plays the role '" + std::string(role_name(runtime.role())) + "'",
                    "only scheduler processes serve the ring");
  }
}

void Scheduler::reply(int to, int kind, std::string_view value) const {
  const auto message = detail::encode(static_cast<detail::Kind>(kind), m_runtime->world_rank(),
                                      m_ring.epoch(), {}, value);
  check_mpi(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, to,
                     directory_reply_tag, m_runtime->world().get()),
            "MPI_Send", "replying to a directory request");
}

void Scheduler::serve_until_stopped() {
  const MPI_Comm comm = m_runtime->world().get();
  const int me = m_runtime->world_rank();
  std::vector<std::byte> message;
  for (;;) {
    // Probe without blocking in MPI: a blocked probe spins a core that an
    // oversubscribed simulation may need.
    MPI_Status status;
    int arrived = 0;
    sluice::detail::Backoff backoff(std::chrono::microseconds(500));
    for (;;) {
      check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, directory_request_tag, comm, &arrived, &status),
                "MPI_Iprobe", "waiting for directory requests");
      if (arrived != 0) {
        break;
      }
      backoff.wait();
    }
    int bytes = 0;
    check_mpi(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
    message.resize(static_cast<std::size_t>(bytes));
    check_mpi(MPI_Recv(message.data(), bytes, MPI_BYTE, status.MPI_SOURCE, directory_request_tag,
                       comm, MPI_STATUS_IGNORE),
              "MPI_Recv", "receiving a directory request");

    detail::Decoded request;
    if (const auto problem = detail::decode(message, request); !problem.empty()) {
      ++m_rejected;
      log::warn("refused a malformed directory request from world rank ", status.MPI_SOURCE, ": ",
                problem);
      reply(status.MPI_SOURCE, static_cast<int>(detail::Kind::rejected), problem);
      continue;
    }
    if (request.header.kind == detail::Kind::stop) {
      return;
    }
    const int owner = m_ring.owner(request.key);
    if (owner != me) {
      // Routed with another view of the ring: pass it on, unchanged, to the owner.
      ++m_forwarded;
      check_mpi(MPI_Send(message.data(), bytes, MPI_BYTE, owner, directory_request_tag, comm),
                "MPI_Send", "forwarding a directory request to its owner");
      continue;
    }
    ++m_served;
    const int requester = request.header.requester;
    switch (request.header.kind) {
      case detail::Kind::put:
        m_store.insert_or_assign(std::string(request.key), std::string(request.value));
        reply(requester, static_cast<int>(detail::Kind::ok), {});
        break;
      case detail::Kind::get: {
        const auto found = m_store.find(request.key);
        if (found == m_store.end()) {
          reply(requester, static_cast<int>(detail::Kind::not_found), {});
        } else {
          reply(requester, static_cast<int>(detail::Kind::ok), found->second);
        }
        break;
      }
      default:
        ++m_rejected;
        reply(requester, static_cast<int>(detail::Kind::rejected),
              "unknown request kind " + std::to_string(static_cast<int>(request.header.kind)));
    }
  }
}

}  // namespace sluice::ring
