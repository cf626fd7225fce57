#pragma once
/// @file
/// sluice::ring::Directory: put and get small values by key, from any process of the
/// job, at the scheduler that owns the key (one hop, routed locally by the ring), and
/// change the ring's membership.
///
/// @code
/// sluice::ring::Directory directory(runtime);
/// directory.put("stream/temperature", layout_text);
/// if (auto value = directory.get("stream/temperature")) { ... }
/// directory.leave(scheduler_rank);   // drained: its keys move to their new owners
/// @endcode
///
/// A Directory learns the ring from the schedulers' replies: its first request goes to
/// the coordinator, which forwards it, and every reply to a client whose ring is out
/// of date carries the current members. A request routed with an out-of-date ring is
/// forwarded by the schedulers, so it reaches the owner in one extra hop at most.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/ring/hash_ring.hpp"
#include "sluice/ring/stream_status.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::ring {

class Directory {
 public:
  /// Local. Throws RoleError if the job has no scheduler process.
  explicit Directory(const Runtime& runtime,
                     std::chrono::milliseconds reply_timeout = std::chrono::seconds(30));

  /// Stores `value` under `key` at the key's owner. InvalidArgument for an empty or
  /// oversized key or an oversized value; StateError if the owner refuses or does
  /// not answer within the timeout. Not thread-safe.
  void put(std::string_view key, std::string_view value);

  /// The value under `key`, or nothing if none was put. Errors as put().
  [[nodiscard]] std::optional<std::string> get(std::string_view key);

  /// The layout and progress of the stream, from the scheduler that owns its name (in
  /// one hop), or nothing if the simulation exposed no stream of that name. StateError
  /// if the schedulers serve no streams (sluice-scheduler in a job without simulation)
  /// or do not answer in time. Answered until the simulation closes its streams.
  [[nodiscard]] std::optional<StreamStatus> stream(std::string_view name);

  /// Makes the scheduler at `world_rank` (a spare) a member of the ring, and returns
  /// the epoch of the new ring once every scheduler has it and the keys that now
  /// belong to the new member are there. InvalidArgument if it is not a scheduler
  /// process or already a member; StateError on timeout.
  std::uint64_t join(int world_rank);

  /// Drains the member at `world_rank`: its keys move to their new owners and it stays
  /// in the job as a spare. Returns the new epoch, as join(). InvalidArgument if it is
  /// not a member or the last one.
  std::uint64_t leave(int world_rank);

  /// Asks every scheduler to leave its service loop. Call from one process, once
  /// every process is done with the directory.
  void stop_schedulers();

  /// The ring as last learnt from a reply (empty before the first request), and its
  /// epoch (0 before the first request).
  [[nodiscard]] const HashRing& ring() const noexcept { return m_ring; }
  [[nodiscard]] std::uint64_t epoch() const noexcept { return m_epoch; }

 private:
  std::optional<std::string> request(int kind, std::string_view key, std::string_view value,
                                     const std::string& asked);

  const Runtime* m_runtime;
  int m_coordinator;
  HashRing m_ring;
  std::uint64_t m_epoch = 0;
  std::chrono::milliseconds m_reply_timeout;
};

}  // namespace sluice::ring
