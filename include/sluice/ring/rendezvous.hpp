#pragma once
/// @file
/// Rendezvous (highest random weight) hashing, the alternative to sluice::ring::HashRing
/// that bench/ring compares it with.
///
/// Every member scores every key; the highest score owns it. Balance is as good as the
/// hash and a join or leave moves exactly the keys that change owner, with no virtual
/// nodes to tune, but a lookup costs O(members) instead of O(log(members × vnodes)).
///
/// @code
/// sluice::ring::RendezvousHash hrw;
/// for (int rank : scheduler_ranks) hrw.add(rank);
/// const int owner = hrw.owner("temperature");
/// @endcode
///
/// Thread safety: the const members may run concurrently with each other; add and remove
/// need exclusive access.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/ring/hash_ring.hpp"

namespace sluice::ring {

/// Rendezvous hashing over integer member ids, with HashRing's interface.
class RendezvousHash {
 public:
  /// Adds a member and increments the epoch. Throws sluice::InvalidArgument if the id is
  /// negative or already a member. Not thread-safe.
  void add(MemberId member);

  /// Removes a member and increments the epoch. Throws sluice::NotFound if it is not a
  /// member. Not thread-safe.
  void remove(MemberId member);

  /// The member with the highest score for the key. Throws sluice::StateError when
  /// there are no members. O(members), allocates nothing. Thread-safe (const).
  [[nodiscard]] MemberId owner(std::string_view key) const;

  /// The k members with the highest scores, best first; owners(key, 1)[0] is
  /// owner(key). Throws sluice::StateError when there are no members and
  /// sluice::InvalidArgument unless 1 <= k <= members().size(). Thread-safe (const).
  [[nodiscard]] std::vector<MemberId> owners(std::string_view key, std::size_t k) const;

  /// The members, in ascending order. Thread-safe (const).
  [[nodiscard]] std::span<const MemberId> members() const noexcept { return m_members; }

  /// Successful add and remove calls so far. Thread-safe (const).
  [[nodiscard]] std::uint64_t epoch() const noexcept { return m_epoch; }

  /// The score of a member for a key hash (stable_hash of the key); the same on every
  /// process. Thread-safe.
  [[nodiscard]] static std::uint64_t score(std::uint64_t key_hash, MemberId member) noexcept;

 private:
  std::uint64_t m_epoch = 0;
  std::vector<MemberId> m_members;     // sorted
  std::vector<std::uint64_t> m_salts;  // stable_hash of each member, parallel to m_members
};

}  // namespace sluice::ring
