// Scheduler membership changes: join (a spare becomes a member) and leave (a member
// is drained and becomes a spare).
//
// The coordinator runs one change at a time:
//   1. it sends `prepare` (epoch e+1, the new members) to every scheduler process and
//      applies it itself;
//   2. each old member sends every new member one `transfer` holding the keys that now
//      belong to it (possibly none), and forgets them;
//   3. each process sends `ready` once it has every transfer it expects; a new member
//      holds back requests for a key until the transfer from its previous owner is in;
//   4. once every process is ready, the coordinator answers the join or leave.
// Requests keep flowing throughout: one routed with the old ring reaches the old
// owner, which forwards it after its transfer (same sender, same tag: MPI delivers
// them in order); one routed with the new ring at a process that has not seen the
// prepare yet waits there until it has.
#include <mpi.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "directory_protocol.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/send_queue.hpp"
#include "sluice/ring/scheduler.hpp"

namespace sluice::ring {

void Scheduler::queue_change(const Change& change) {
  m_changes.push_back(change);
  start_next_change();
}

void Scheduler::start_next_change() {
  while (!m_change_running && !m_changes.empty()) {
    const Change change = m_changes.front();
    // Checked when the change starts, against the ring the earlier changes left.
    std::string problem;
    if (std::find(m_schedulers.begin(), m_schedulers.end(), change.member) == m_schedulers.end()) {
      problem = "world rank " + std::to_string(change.member) + " is not a scheduler process";
    } else if (change.join && m_ring.contains(change.member)) {
      problem = "world rank " + std::to_string(change.member) + " is already a member";
    } else if (!change.join && !m_ring.contains(change.member)) {
      problem = "world rank " + std::to_string(change.member) + " is not a member";
    } else if (!change.join && m_ring.members().size() == 1) {
      problem = "world rank " + std::to_string(change.member) +
                " is the last member; join another scheduler first";
    }
    if (!problem.empty()) {
      m_changes.pop_front();
      reject(change.requester, change.client_epoch, problem);
      continue;
    }

    std::vector<MemberId> members(m_ring.members().begin(), m_ring.members().end());
    if (change.join) {
      members.push_back(change.member);
      std::sort(members.begin(), members.end());
    } else {
      std::erase(members, change.member);
    }
    const std::uint64_t epoch = m_epoch + 1;
    m_change_running = true;
    m_readies_missing = m_schedulers.size();
    log::info(change.join ? "joining" : "draining", " scheduler world rank ", change.member,
              ": epoch ", epoch, ", ", members.size(), " members");
    const std::string encoded = detail::encode_members(members);
    for (int scheduler : m_schedulers) {
      if (scheduler != m_me) {
        const detail::Header header{
            .kind = detail::Kind::prepare, .requester = m_me, .route_epoch = epoch};
        m_outbox->send(scheduler, directory_request_tag, detail::encode(header, {}, encoded));
      }
    }
    apply_prepare(members, epoch);
  }
}

void Scheduler::apply_prepare(std::span<const MemberId> members, std::uint64_t epoch) {
  m_previous_ring = m_ring;
  HashRing next(m_ring.vnodes_per_member());
  for (MemberId member : members) {
    next.add(member);
  }
  m_ring = std::move(next);
  m_epoch = epoch;

  // Hand over what now belongs elsewhere: one transfer to every other new member, so
  // that each knows when it has heard from all the old members.
  if (m_previous_ring.contains(m_me)) {
    std::map<int, std::string> outgoing;
    for (MemberId member : m_ring.members()) {
      if (member != m_me) {
        outgoing[member];
      }
    }
    for (auto entry = m_store.begin(); entry != m_store.end();) {
      const int owner = m_ring.owner(entry->first);
      if (owner == m_me) {
        ++entry;
        continue;
      }
      detail::append_entry(outgoing[owner], entry->first, entry->second);
      ++m_keys_sent;
      entry = m_store.erase(entry);
    }
    for (auto& [member, entries] : outgoing) {
      const detail::Header header{
          .kind = detail::Kind::transfer, .requester = m_me, .route_epoch = m_epoch};
      m_outbox->send(member, directory_request_tag, detail::encode(header, {}, entries));
    }
  }
  m_awaiting_transfer.clear();
  if (m_ring.contains(m_me)) {
    for (MemberId member : m_previous_ring.members()) {
      if (member != m_me) {
        m_awaiting_transfer.push_back(member);
      }
    }
  }
  if (m_awaiting_transfer.empty()) {
    send_ready();
  }
}

void Scheduler::receive_transfer(int from, std::string_view entries) {
  const auto awaited = std::find(m_awaiting_transfer.begin(), m_awaiting_transfer.end(), from);
  if (awaited == m_awaiting_transfer.end()) {
    log::warn("ignored an unexpected key transfer from world rank ", from, " in epoch ", m_epoch);
    return;
  }
  const bool well_formed = detail::for_each_entry(entries, [&](auto key, auto value) {
    m_store.insert_or_assign(std::string(key), std::string(value));
    ++m_keys_received;
  });
  if (!well_formed) {
    log::error("a key transfer from world rank ", from, " is malformed; keys may be missing");
  }
  m_awaiting_transfer.erase(awaited);
  if (m_awaiting_transfer.empty()) {
    send_ready();
  }
}

void Scheduler::send_ready() {
  if (m_me == m_coordinator) {
    count_ready();
    return;
  }
  const detail::Header header{
      .kind = detail::Kind::ready, .requester = m_me, .route_epoch = m_epoch};
  m_outbox->send(m_coordinator, directory_request_tag, detail::encode(header, {}, {}));
}

void Scheduler::count_ready() {
  if (--m_readies_missing > 0) {
    return;
  }
  const Change change = m_changes.front();
  m_changes.pop_front();
  m_change_running = false;
  log::info("epoch ", m_epoch, " active: ", m_ring.members().size(), " members");
  reply(change.requester, static_cast<int>(detail::Kind::ok), change.client_epoch,
        std::to_string(m_epoch));
  start_next_change();
}

}  // namespace sluice::ring
