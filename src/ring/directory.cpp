#include "sluice/ring/directory.hpp"

#include <mpi.h>

#include <string>
#include <vector>

#include "../core/backoff.hpp"
#include "directory_protocol.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/receive.hpp"
#include "sluice/ring/scheduler.hpp"
#include "stream_status_codec.hpp"

namespace sluice::ring {

Directory::Directory(const Runtime& runtime, std::chrono::milliseconds reply_timeout)
    : m_runtime(&runtime), m_coordinator(coordinator_of(runtime)), m_reply_timeout(reply_timeout) {}

void Directory::put(std::string_view key, std::string_view value) {
  const std::string asked = "put('" + std::string(key.substr(0, 64)) + "')";
  if (value.size() > max_value_bytes) {
    throw InvalidArgument(asked, "the value has " + std::to_string(value.size()) +
                                     " bytes, more than " + std::to_string(max_value_bytes));
  }
  (void)request(static_cast<int>(detail::Kind::put), key, value, asked);
}

std::optional<std::string> Directory::get(std::string_view key) {
  return request(static_cast<int>(detail::Kind::get), key, {},
                 "get('" + std::string(key.substr(0, 64)) + "')");
}

std::optional<StreamStatus> Directory::stream(std::string_view name) {
  const std::string asked = "querying stream '" + std::string(name.substr(0, 64)) + "'";
  const auto bytes = request(static_cast<int>(detail::Kind::stream), name, {}, asked);
  if (!bytes) {
    return std::nullopt;
  }
  StreamStatus status;
  if (!detail::decode_stream_status(*bytes, status)) {
    throw StateError(asked, "the scheduler's answer is malformed");
  }
  return status;
}

std::uint64_t Directory::join(int world_rank) {
  const auto epoch = request(static_cast<int>(detail::Kind::join), std::to_string(world_rank), {},
                             "joining scheduler world rank " + std::to_string(world_rank));
  return std::stoull(epoch.value_or("0"));
}

std::uint64_t Directory::leave(int world_rank) {
  const auto epoch = request(static_cast<int>(detail::Kind::leave), std::to_string(world_rank), {},
                             "draining scheduler world rank " + std::to_string(world_rank));
  return std::stoull(epoch.value_or("0"));
}

void Directory::stop_schedulers() {
  const detail::Header header{.kind = detail::Kind::stop,
                              .requester = m_runtime->world_rank(),
                              .route_epoch = m_epoch,
                              .client_epoch = m_epoch};
  const auto message = detail::encode(header, {}, {});
  for (int scheduler : m_runtime->ranks_of(Role::scheduler)) {
    check_mpi(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, scheduler,
                       directory_request_tag, m_runtime->world().get()),
              "MPI_Send", "stopping the schedulers");
  }
}

std::optional<std::string> Directory::request(int kind, std::string_view key,
                                              std::string_view value, const std::string& asked) {
  const auto request_kind = static_cast<detail::Kind>(kind);
  const bool membership = request_kind == detail::Kind::join || request_kind == detail::Kind::leave;
  if (key.empty() || key.size() > max_key_bytes) {
    throw InvalidArgument(asked, "a key has 1 to " + std::to_string(max_key_bytes) + " bytes");
  }
  const MPI_Comm comm = m_runtime->world().get();
  // Membership changes are ordered by the coordinator; before the first reply this
  // process does not know the ring, and the coordinator forwards for it.
  const int to = membership || m_ring.members().empty() ? m_coordinator : m_ring.owner(key);
  const detail::Header header{.kind = request_kind,
                              .requester = m_runtime->world_rank(),
                              .route_epoch = m_epoch,
                              .client_epoch = m_epoch};
  const auto message = detail::encode(header, key, value);
  check_mpi(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, to,
                     directory_request_tag, comm),
            "MPI_Send", "sending a directory request");

  // The reply comes from the owner, or from whoever the request was forwarded to.
  const auto deadline = std::chrono::steady_clock::now() + m_reply_timeout;
  sluice::detail::Backoff backoff(std::chrono::microseconds(200));
  std::vector<std::byte> reply;
  while (!mpi::receive_if_any(m_runtime->world(), MPI_ANY_SOURCE, directory_reply_tag, reply,
                              "receiving a directory reply")) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw StateError(asked,
                       "no reply from scheduler world rank " + std::to_string(to) + " within " +
                           std::to_string(m_reply_timeout.count()) + " ms",
                       "is it serving (sluice::ring::Scheduler::serve_until_stopped)?");
    }
    backoff.wait();
  }
  detail::Decoded decoded;
  if (const auto problem = detail::decode(reply, decoded); !problem.empty()) {
    throw StateError(asked, "the scheduler's reply is malformed: " + problem);
  }
  // A reply from a newer ring carries its members: route with it from now on.
  if (decoded.header.route_epoch > m_epoch && !decoded.key.empty()) {
    std::vector<MemberId> members;
    if (detail::decode_members(decoded.key, members)) {
      HashRing ring(m_ring.vnodes_per_member());
      for (MemberId member : members) {
        ring.add(member);
      }
      m_ring = std::move(ring);
      m_epoch = decoded.header.route_epoch;
    }
  }
  switch (decoded.header.kind) {
    case detail::Kind::ok:
      return std::string(decoded.value);
    case detail::Kind::not_found:
      return std::nullopt;
    default:
      if (membership) {
        throw InvalidArgument(asked, std::string(decoded.value));
      }
      throw StateError(asked, "the scheduler refused it: " + std::string(decoded.value));
  }
}

}  // namespace sluice::ring
