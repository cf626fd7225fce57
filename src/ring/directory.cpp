#include "sluice/ring/directory.hpp"

#include <mpi.h>

#include <string>
#include <vector>

#include "../core/backoff.hpp"
#include "directory_protocol.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/ring/scheduler.hpp"

namespace sluice::ring {

Directory::Directory(const Runtime& runtime, std::chrono::milliseconds reply_timeout)
    : m_runtime(&runtime), m_ring(ring_of(runtime)), m_reply_timeout(reply_timeout) {}

void Directory::put(std::string_view key, std::string_view value) {
  (void)request(static_cast<int>(detail::Kind::put), key, value);
}

std::optional<std::string> Directory::get(std::string_view key) {
  return request(static_cast<int>(detail::Kind::get), key, {});
}

void Directory::stop_schedulers() {
  const auto message =
      detail::encode(detail::Kind::stop, m_runtime->world_rank(), m_ring.epoch(), {}, {});
  for (int scheduler : m_ring.members()) {
    check_mpi(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, scheduler,
                       directory_request_tag, m_runtime->world().get()),
              "MPI_Send", "stopping the schedulers");
  }
}

std::optional<std::string> Directory::request(int kind, std::string_view key,
                                              std::string_view value) {
  const std::string asked =
      std::string(kind == static_cast<int>(detail::Kind::put) ? "put" : "get") + "('" +
      std::string(key.substr(0, 64)) + "')";
  if (key.empty() || key.size() > max_key_bytes) {
    throw InvalidArgument(asked, "a key has 1 to " + std::to_string(max_key_bytes) + " bytes");
  }
  if (value.size() > max_value_bytes) {
    throw InvalidArgument(asked, "the value has " + std::to_string(value.size()) +
                                     " bytes, more than " + std::to_string(max_value_bytes));
  }
  const MPI_Comm comm = m_runtime->world().get();
  const int owner = m_ring.owner(key);
  const auto message = detail::encode(static_cast<detail::Kind>(kind), m_runtime->world_rank(),
                                      m_ring.epoch(), key, value);
  check_mpi(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, owner,
                     directory_request_tag, comm),
            "MPI_Send", "sending a directory request");

  // The reply comes from the owner, or from whoever the request was forwarded to.
  const auto deadline = std::chrono::steady_clock::now() + m_reply_timeout;
  sluice::detail::Backoff backoff(std::chrono::microseconds(200));
  MPI_Status status;
  for (int arrived = 0;;) {
    check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, directory_reply_tag, comm, &arrived, &status),
              "MPI_Iprobe", "waiting for a directory reply");
    if (arrived != 0) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw StateError(asked,
                       "no reply from scheduler world rank " + std::to_string(owner) + " within " +
                           std::to_string(m_reply_timeout.count()) + " ms",
                       "is it serving (sluice::ring::Scheduler::serve_until_stopped)?");
    }
    backoff.wait();
  }
  int bytes = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
  std::vector<std::byte> reply(static_cast<std::size_t>(bytes));
  check_mpi(MPI_Recv(reply.data(), bytes, MPI_BYTE, status.MPI_SOURCE, directory_reply_tag, comm,
                     MPI_STATUS_IGNORE),
            "MPI_Recv", "receiving a directory reply");
  detail::Decoded decoded;
  if (const auto problem = detail::decode(reply, decoded); !problem.empty()) {
    throw StateError(asked, "the scheduler's reply is malformed: " + problem);
  }
  switch (decoded.header.kind) {
    case detail::Kind::ok:
      return std::string(decoded.value);
    case detail::Kind::not_found:
      return std::nullopt;
    default:
      throw StateError(asked, "the scheduler refused it: " + std::string(decoded.value));
  }
}

}  // namespace sluice::ring
