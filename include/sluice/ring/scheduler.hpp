#pragma once
/// @file
/// sluice::ring::Scheduler: the service loop of a scheduler process.
///
/// Scheduler processes form a ring (HashRing over their world ranks). Each owns the
/// keys the ring maps to it, holds their values, and answers Directory requests from
/// any process of the job in one hop. No process sees every key: there is no central
/// metadata server.
///
/// @code
/// sluice::Runtime runtime(sluice::Role::scheduler);
/// sluice::ring::Scheduler scheduler(runtime);
/// scheduler.serve_until_stopped();   // until a Directory calls stop_schedulers()
/// @endcode

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sluice/ring/hash_ring.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::ring {

/// MPI tags the ring's point-to-point traffic uses on Runtime::world(); reserved.
inline constexpr int directory_request_tag = 0x5100;
inline constexpr int directory_reply_tag = 0x5101;

/// Limits on what one request may carry; larger requests are refused.
inline constexpr std::size_t max_key_bytes = 1024;
inline constexpr std::size_t max_value_bytes = std::size_t{1} << 20;

/// The ring of a job: every process computes the same one from the runtime's
/// scheduler ranks. Throws RoleError if the job has no scheduler.
[[nodiscard]] HashRing ring_of(const Runtime& runtime);

/// Not copyable or movable (it serves requests addressed to this process).
class Scheduler {
 public:
  /// Local. `runtime` must be a scheduler process's and outlive the Scheduler.
  explicit Scheduler(const Runtime& runtime);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  Scheduler(Scheduler&&) = delete;
  Scheduler& operator=(Scheduler&&) = delete;
  ~Scheduler() = default;

  /// Serves put and get requests until a stop request arrives. Malformed or
  /// oversized requests get a `rejected` reply and are otherwise ignored; the loop
  /// never stops because of what a client sent. Not thread-safe.
  void serve_until_stopped();

  /// The keys and values this process holds (all owned by it under ring()).
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& store() const noexcept {
    return m_store;
  }
  [[nodiscard]] const HashRing& ring() const noexcept { return m_ring; }
  /// Requests served here, forwarded to the owner, and refused as malformed.
  [[nodiscard]] std::uint64_t served() const noexcept { return m_served; }
  [[nodiscard]] std::uint64_t forwarded() const noexcept { return m_forwarded; }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return m_rejected; }

 private:
  void reply(int to, int kind, std::string_view value) const;

  const Runtime* m_runtime;
  HashRing m_ring;
  std::map<std::string, std::string, std::less<>> m_store;
  std::uint64_t m_served = 0;
  std::uint64_t m_forwarded = 0;
  std::uint64_t m_rejected = 0;
};

}  // namespace sluice::ring
