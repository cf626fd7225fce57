#pragma once
/// @file
/// sluice::ring::Scheduler: the service loop of a scheduler process.
///
/// Scheduler processes form a ring (HashRing over their world ranks). Each member owns
/// the keys the ring maps to it, holds their values, and answers Directory requests
/// from any process of the job in one hop. No process sees every key: there is no
/// central metadata server.
///
/// Membership is elastic. A scheduler started as a spare serves no key until a
/// Directory::join activates it; Directory::leave drains a member, whose keys pass to
/// their new owners. The process that left stays in the job as a spare and only
/// forwards requests to the owners. A change moves only the keys whose owner changes,
/// and a new owner serves a moved key only once it holds the key's state (requests
/// for it wait until then), so nothing is lost or applied twice.
///
/// Membership changes are ordered by a coordinator, the lowest world rank among the
/// scheduler processes, one at a time; it takes part in the ring like the others. Only
/// join and leave go through it: every put and get goes straight to the key's owner.
///
/// @code
/// sluice::Runtime runtime(sluice::Role::scheduler);
/// sluice::ring::Scheduler scheduler(runtime);
/// scheduler.serve_until_stopped();   // until a Directory calls stop_schedulers()
/// @endcode

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sluice/ring/hash_ring.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::channel {
class StreamCatalog;
}

namespace sluice::mpi {
class SendQueue;
}  // namespace sluice::mpi

namespace sluice::ring {

/// MPI tags the ring's point-to-point traffic uses on Runtime::world(); reserved.
inline constexpr int directory_request_tag = 0x5100;
inline constexpr int directory_reply_tag = 0x5101;

/// Limits on what one request may carry; larger requests are refused.
inline constexpr std::size_t max_key_bytes = 1024;
inline constexpr std::size_t max_value_bytes = std::size_t{1} << 20;

/// The scheduler process that orders membership changes: the lowest world rank of the
/// scheduler role. Throws RoleError if the job has no scheduler.
[[nodiscard]] int coordinator_of(const Runtime& runtime);

struct SchedulerOptions {
  /// Start outside the ring: a spare holds no key until Directory::join activates it.
  bool spare = false;
};

namespace detail {
struct Decoded;
}  // namespace detail

/// Not copyable or movable (it serves requests addressed to this process).
class Scheduler {
 public:
  /// Collective over the scheduler processes (Runtime::comm()), which agree there on
  /// the first ring: every scheduler that is not a spare. Throws RoleError on every
  /// scheduler if this process is not one or if all of them are spares.
  /// `runtime` must outlive the Scheduler.
  explicit Scheduler(const Runtime& runtime, SchedulerOptions options = {});
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  Scheduler(Scheduler&&) = delete;
  Scheduler& operator=(Scheduler&&) = delete;
  ~Scheduler();

  /// Also answers stream queries (Directory::stream) for the streams whose names this
  /// process owns, from the job's catalog and the producers' windows;
  /// serve_until_stopped() then also returns once every stream is closed, so that the
  /// caller can end with the rest of the job. `streams` must outlive the serving.
  void serve_streams(channel::StreamCatalog& streams) noexcept { m_streams = &streams; }

  /// Other work to do between requests (graph partitions: graph::Executor): `work`
  /// is called whenever no request is waiting and returns whether it did something
  /// (the loop then polls again at once); while `is_busy` returns true, the end of
  /// the simulation's streams does not end the serving. Both must outlive the serving.
  void also_serve(std::function<bool()> work, std::function<bool()> is_busy) {
    m_work = std::move(work);
    m_is_busy = std::move(is_busy);
  }

  /// Serves requests and membership changes until a stop request arrives. Malformed,
  /// oversized or misdirected requests get a `rejected` reply and are otherwise
  /// ignored; the loop never stops because of what a client sent. Not thread-safe.
  void serve_until_stopped();

  /// The keys and values this process holds (all owned by it under ring()).
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& store() const noexcept {
    return m_store;
  }
  /// The ring as this process knows it, and its epoch (1 for the first ring, then one
  /// more per membership change).
  [[nodiscard]] const HashRing& ring() const noexcept { return m_ring; }
  [[nodiscard]] std::uint64_t epoch() const noexcept { return m_epoch; }
  [[nodiscard]] bool is_member() const noexcept { return m_ring.contains(m_me); }

  /// Requests served here, forwarded to the owner, refused as malformed or misdirected.
  [[nodiscard]] std::uint64_t served() const noexcept { return m_served; }
  [[nodiscard]] std::uint64_t forwarded() const noexcept { return m_forwarded; }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return m_rejected; }
  /// Puts applied to the store here (a put is applied once, by its owner).
  [[nodiscard]] std::uint64_t puts_applied() const noexcept { return m_puts_applied; }
  /// Keys handed to new owners and received from old ones in membership changes.
  [[nodiscard]] std::uint64_t keys_sent() const noexcept { return m_keys_sent; }
  [[nodiscard]] std::uint64_t keys_received() const noexcept { return m_keys_received; }
  /// Messages held back until this process caught up with their epoch or received the
  /// state of their key.
  [[nodiscard]] std::uint64_t deferred() const noexcept { return m_deferred_count; }

 private:
  enum class Outcome { handled, deferred, stop };
  struct Change {
    bool join;
    int member;
    int requester;
    std::uint64_t client_epoch;
  };

  Outcome handle(std::span<const std::byte> message, int source);
  Outcome handle_client_request(std::span<const std::byte> message, const detail::Decoded& request);
  void replay_deferred();
  void reply(int to, int kind, std::uint64_t client_epoch, std::string_view value);
  void answer_stream_query(const detail::Decoded& request);
  [[nodiscard]] bool simulation_closed_every_stream() const;
  void reject(int to, std::uint64_t client_epoch, const std::string& reason);

  // Membership (membership.cpp).
  void queue_change(const Change& change);
  void start_next_change();
  void apply_prepare(std::span<const MemberId> members, std::uint64_t epoch);
  void receive_transfer(int from, std::string_view entries);
  void send_ready();
  void count_ready();

  const Runtime* m_runtime;
  channel::StreamCatalog* m_streams = nullptr;
  std::function<bool()> m_work;
  std::function<bool()> m_is_busy;
  int m_me;
  int m_coordinator;
  std::vector<int> m_schedulers;  // every scheduler process, members and spares
  HashRing m_ring;
  std::uint64_t m_epoch = 1;
  std::map<std::string, std::string, std::less<>> m_store;
  std::unique_ptr<mpi::SendQueue> m_outbox;       // every send: nonblocking
  std::deque<std::vector<std::byte>> m_deferred;  // with their source in the header

  // During a change: the previous ring, and the old members whose transfer has not
  // arrived yet. A key whose previous owner is among them is not served here yet.
  HashRing m_previous_ring;
  std::vector<int> m_awaiting_transfer;

  // The coordinator's queue of changes; the first is in progress when m_readies_missing
  // is non-zero.
  std::deque<Change> m_changes;
  bool m_change_running = false;
  std::size_t m_readies_missing = 0;

  std::uint64_t m_served = 0;
  std::uint64_t m_forwarded = 0;
  std::uint64_t m_rejected = 0;
  std::uint64_t m_puts_applied = 0;
  std::uint64_t m_keys_sent = 0;
  std::uint64_t m_keys_received = 0;
  std::uint64_t m_deferred_count = 0;
};

}  // namespace sluice::ring
