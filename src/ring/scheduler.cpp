#include "sluice/ring/scheduler.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "../core/backoff.hpp"
#include "directory_protocol.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/receive.hpp"
#include "sluice/mpi/send_queue.hpp"
#include "stream_status_codec.hpp"

namespace sluice::ring {

int coordinator_of(const Runtime& runtime) {
  const auto schedulers = runtime.ranks_of(Role::scheduler);
  if (schedulers.empty()) {
    throw RoleError("finding the scheduler ring", "the job has no scheduler process",
                    "start sluice-scheduler processes in the mpirun command line");
  }
  return *std::min_element(schedulers.begin(), schedulers.end());
}

Scheduler::Scheduler(const Runtime& runtime, SchedulerOptions options)
    : m_runtime(&runtime), m_me(runtime.world_rank()) {
  if (runtime.role() != Role::scheduler) {
    throw RoleError("creating a sluice::ring::Scheduler",
                    "this process plays the role '" + std::string(role_name(runtime.role())) + "'",
                    "only scheduler processes serve the ring");
  }
  m_coordinator = coordinator_of(runtime);
  const auto schedulers = runtime.ranks_of(Role::scheduler);
  m_schedulers.assign(schedulers.begin(), schedulers.end());

  // The first ring: every scheduler that is not a spare, agreed by all of them.
  const int spare = options.spare ? 1 : 0;
  std::vector<int> spares(static_cast<std::size_t>(runtime.comm().size()));
  check_mpi(MPI_Allgather(&spare, 1, MPI_INT, spares.data(), 1, MPI_INT, runtime.comm().get()),
            "MPI_Allgather", "agreeing on the first scheduler ring");
  for (std::size_t i = 0; i < spares.size(); ++i) {
    if (spares[i] == 0) {
      m_ring.add(m_schedulers[i]);
    }
  }
  if (m_ring.members().empty()) {
    throw RoleError("creating the scheduler ring",
                    "all " + std::to_string(spares.size()) + " scheduler processes are spares",
                    "start at least one scheduler without --spare");
  }
  m_previous_ring = m_ring;
  // Two schedulers may send each other large messages at the same moment (transfers
  // during a membership change, forwarded requests): with blocking sends both could
  // wait for a receive the other never posts.
  m_outbox = std::make_unique<mpi::SendQueue>(runtime.world(), "sending a scheduler message");
}

Scheduler::~Scheduler() = default;

void Scheduler::reply(int to, int kind, std::uint64_t client_epoch, std::string_view value) {
  // A client that routed with an older ring learns the current one from this reply.
  const std::string members =
      client_epoch < m_epoch ? detail::encode_members(m_ring.members()) : std::string();
  const detail::Header header{.kind = static_cast<detail::Kind>(kind),
                              .requester = m_me,
                              .route_epoch = m_epoch,
                              .client_epoch = client_epoch};
  m_outbox->send(to, directory_reply_tag, detail::encode(header, members, value));
}

void Scheduler::reject(int to, std::uint64_t client_epoch, const std::string& reason) {
  ++m_rejected;
  log::warn("refused a directory request from world rank ", to, ": ", reason);
  reply(to, static_cast<int>(detail::Kind::rejected), client_epoch, reason);
}

void Scheduler::serve_until_stopped() {
  std::vector<std::byte> message;
  for (;;) {
    // Probe without blocking in MPI: a blocked probe spins a core that an
    // oversubscribed simulation may need.
    std::optional<mpi::Envelope> from;
    sluice::detail::Backoff backoff(std::chrono::microseconds(500));
    auto next_close_check = std::chrono::steady_clock::now();
    for (;;) {
      from = mpi::receive_if_any(m_runtime->world(), MPI_ANY_SOURCE, directory_request_tag, message,
                                 "receiving a directory request");
      if (from) {
        break;
      }
      m_outbox->test();
      if (m_work && m_work()) {
        backoff = sluice::detail::Backoff(std::chrono::microseconds(50));
        continue;
      }
      // Idle: has the simulation closed its streams? (A few atomic reads, 50 times a
      // second at most.)
      if (m_streams != nullptr && std::chrono::steady_clock::now() >= next_close_check) {
        if (!(m_is_busy && m_is_busy()) && simulation_closed_every_stream()) {
          m_outbox->drain();
          return;
        }
        next_close_check = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
      }
      backoff.wait();
    }

    const Outcome outcome = handle(message, from->source);
    if (outcome == Outcome::stop) {
      m_outbox->drain();
      return;
    }
    if (outcome == Outcome::deferred) {
      m_deferred.push_back(message);
      ++m_deferred_count;
    } else if (!m_deferred.empty()) {
      replay_deferred();
    }
    m_outbox->test();
  }
}

void Scheduler::replay_deferred() {
  // A transfer or a new epoch may let held messages through, in their arrival order;
  // one of them (a transfer) may in turn release messages held before it, so repeat
  // until a pass releases nothing.
  for (std::size_t before = m_deferred.size() + 1; m_deferred.size() < before;) {
    before = m_deferred.size();
    std::deque<std::vector<std::byte>> held;
    held.swap(m_deferred);
    for (auto& message : held) {
      detail::Header header{};
      std::memcpy(&header, message.data(), sizeof(header));
      if (handle(message, header.requester) == Outcome::deferred) {
        m_deferred.push_back(std::move(message));
      }
    }
  }
}

Scheduler::Outcome Scheduler::handle(std::span<const std::byte> message, int source) {
  detail::Decoded request;
  if (const auto problem = detail::decode(message, request); !problem.empty()) {
    reject(source, 0, "malformed request: " + problem);
    return Outcome::handled;
  }
  const auto& header = request.header;
  const detail::Kind kind = header.kind;
  if (kind == detail::Kind::stop) {
    return Outcome::stop;
  }
  // Only schedulers forward requests on someone else's behalf or talk membership:
  // anyone else must name itself as the requester, so replies go back to the sender.
  const bool from_scheduler = m_runtime->role_of(source) == Role::scheduler;
  if (!from_scheduler && header.requester != source) {
    reject(source, header.client_epoch,
           "the request names world rank " + std::to_string(header.requester) +
               " as its requester, but came from " + std::to_string(source));
    return Outcome::handled;
  }
  if (detail::is_internal(kind) && (!from_scheduler || header.requester != source)) {
    reject(source, header.client_epoch,
           "membership messages are only accepted from scheduler processes");
    return Outcome::handled;
  }
  switch (kind) {
    case detail::Kind::join:
    case detail::Kind::leave: {
      if (m_me != m_coordinator) {
        reject(header.requester, header.client_epoch,
               "membership changes go to the coordinator, world rank " +
                   std::to_string(m_coordinator));
        return Outcome::handled;
      }
      int member = -1;
      const std::string text(request.key);
      try {
        std::size_t used = 0;
        member = std::stoi(text, &used);
        if (used != text.size()) {
          member = -1;
        }
      } catch (const std::exception&) {
        member = -1;
      }
      if (member < 0) {
        reject(header.requester, header.client_epoch,
               "'" + text.substr(0, 32) + "' is not a world rank");
        return Outcome::handled;
      }
      queue_change({kind == detail::Kind::join, member, header.requester, header.client_epoch});
      return Outcome::handled;
    }
    case detail::Kind::prepare: {
      std::vector<MemberId> members;
      if (header.route_epoch != m_epoch + 1 || !detail::decode_members(request.value, members) ||
          members.empty()) {
        reject(source, 0, "a membership change out of order or without members");
        return Outcome::handled;
      }
      apply_prepare(members, header.route_epoch);
      return Outcome::handled;
    }
    case detail::Kind::ready:
      if (m_me == m_coordinator && m_change_running && header.route_epoch == m_epoch) {
        count_ready();
      } else {
        log::warn("ignored a stray ready message from world rank ", source);
      }
      return Outcome::handled;
    default:
      break;
  }

  // Epoch fencing. Any legitimate message was routed with a ring at most one change
  // ahead of this one (the coordinator starts a change only once every scheduler has
  // finished the previous one): hold it until this process has caught up.
  if (header.route_epoch > m_epoch + 1) {
    reject(header.requester, header.client_epoch,
           "routed under epoch " + std::to_string(header.route_epoch) +
               ", which no scheduler has reached (the current epoch is " + std::to_string(m_epoch) +
               ")");
    return Outcome::handled;
  }
  if (header.route_epoch > m_epoch) {
    return Outcome::deferred;
  }
  if (kind == detail::Kind::transfer) {
    receive_transfer(source, request.value);
    return Outcome::handled;
  }
  if (kind == detail::Kind::put || kind == detail::Kind::get || kind == detail::Kind::stream) {
    return handle_client_request(message, request);
  }
  reject(header.requester, header.client_epoch,
         "unknown request kind " + std::to_string(static_cast<int>(kind)));
  return Outcome::handled;
}

Scheduler::Outcome Scheduler::handle_client_request(std::span<const std::byte> message,
                                                    const detail::Decoded& request) {
  if (request.key.empty()) {
    reject(request.header.requester, request.header.client_epoch, "the key is empty");
    return Outcome::handled;
  }
  const int owner = m_ring.owner(request.key);
  if (owner != m_me) {
    // Routed with another view of the ring: pass it on to the owner, restamped with
    // this ring's epoch so that the owner knows what the forward was routed with.
    ++m_forwarded;
    std::vector<std::byte> forward(message.begin(), message.end());
    detail::Header header = request.header;
    header.route_epoch = m_epoch;
    std::memcpy(forward.data(), &header, sizeof(header));
    m_outbox->send(owner, directory_request_tag, std::move(forward));
    return Outcome::handled;
  }
  // Owned here since the last change, but the previous owner's transfer has not
  // arrived yet: serving now would answer from (or write over) missing state.
  const int previous_owner = m_previous_ring.owner(request.key);
  if (previous_owner != m_me && std::find(m_awaiting_transfer.begin(), m_awaiting_transfer.end(),
                                          previous_owner) != m_awaiting_transfer.end()) {
    return Outcome::deferred;
  }
  ++m_served;
  const int requester = request.header.requester;
  const std::uint64_t client_epoch = request.header.client_epoch;
  if (request.header.kind == detail::Kind::stream) {
    answer_stream_query(request);
  } else if (request.header.kind == detail::Kind::put) {
    m_store.insert_or_assign(std::string(request.key), std::string(request.value));
    ++m_puts_applied;
    reply(requester, static_cast<int>(detail::Kind::ok), client_epoch, {});
  } else {
    const auto found = m_store.find(request.key);
    if (found == m_store.end()) {
      reply(requester, static_cast<int>(detail::Kind::not_found), client_epoch, {});
    } else {
      reply(requester, static_cast<int>(detail::Kind::ok), client_epoch, found->second);
    }
  }
  return Outcome::handled;
}

void Scheduler::answer_stream_query(const detail::Decoded& request) {
  const int requester = request.header.requester;
  const std::uint64_t client_epoch = request.header.client_epoch;
  if (m_streams == nullptr) {
    reject(requester, client_epoch,
           "this scheduler serves no streams (the job has no simulation, or the scheduler "
           "was not given the job's streams)");
    return;
  }
  try {
    const channel::StreamInfo* found = m_streams->find(request.key);
    if (found == nullptr) {
      reply(requester, static_cast<int>(detail::Kind::not_found), client_epoch, {});
      return;
    }
    const StreamStatus status{*found, m_streams->progress(*found)};
    reply(requester, static_cast<int>(detail::Kind::ok), client_epoch,
          detail::encode_stream_status(status));
  } catch (const Error& e) {
    reject(requester, client_epoch, e.what());
  }
}

bool Scheduler::simulation_closed_every_stream() const {
  const auto& streams = m_streams->refresh();
  if (streams.empty()) {
    return false;  // nothing to watch: only a stop request ends the service
  }
  return std::all_of(streams.begin(), streams.end(),
                     [&](const auto& info) { return m_streams->progress(info).closed; });
}

}  // namespace sluice::ring
