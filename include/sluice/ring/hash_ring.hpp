#pragma once
/// @file
/// The consistent hash ring of the scheduler processes (DESIGN.md §3).
///
/// Each member (a scheduler, identified by its world rank) is placed at many points of a
/// 64-bit circle, its virtual nodes; a key belongs to the first point clockwise of the
/// key's stable hash. Virtual nodes even out the share of the circle each member owns, and
/// a join or leave only moves the keys whose owner changed: about 1/N of them.
///
/// The ring depends only on its set of members and the virtual node count: two processes
/// that add the same members in any order resolve every key to the same owner. There is
/// no MPI here; agreeing on the membership and the epoch is the caller's job.
///
/// @code
/// sluice::ring::HashRing ring;                 // default_vnodes_per_member per member
/// for (int rank : scheduler_ranks) ring.add(rank);
/// const int owner = ring.owner("temperature");  // the scheduler holding that stream
/// const auto fallbacks = ring.owners("temperature", 3);
/// @endcode
///
/// Thread safety: the const members may run concurrently with each other; add and remove
/// need exclusive access (like a std::vector).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::ring {

/// A ring member: a scheduler's rank in MPI_COMM_WORLD, so never negative.
using MemberId = int;

/// Virtual nodes per member unless told otherwise. Chosen by measurement (the balance
/// test in tests/ring/test_hash_ring.cpp, bench/ring/bm_lookup.cpp): a member's share of
/// the circle varies by about 1/sqrt(vnodes), so with 256 the busiest of 16 members held
/// 1.25 times the mean of 10,000 keys and with 1024 it holds 1.08, close to the 1.07
/// that sampling 10,000 keys gives even a perfect hash. The cost is memory, 12 bytes a
/// point (768 KiB at 64 members), and lookup time: ~50 ns at 64 members against ~40 ns
/// with 256 vnodes.
inline constexpr std::size_t default_vnodes_per_member = 1024;

/// The most virtual nodes a member may have; more buys no balance and costs memory.
inline constexpr std::size_t max_vnodes_per_member = 65536;

/// Consistent hashing with virtual nodes. A value type: copy it to keep a snapshot of an
/// epoch.
class HashRing {
 public:
  /// An empty ring. Throws sluice::InvalidArgument unless
  /// 1 <= vnodes_per_member <= max_vnodes_per_member.
  explicit HashRing(std::size_t vnodes_per_member = default_vnodes_per_member);

  /// Places a member on the ring and increments the epoch. Throws
  /// sluice::InvalidArgument if the id is negative or already a member (the ring is then
  /// unchanged). Costs O(members × vnodes). Not thread-safe.
  void add(MemberId member);

  /// Takes a member off the ring and increments the epoch; its keys pass to the next
  /// members clockwise. Throws sluice::NotFound if it is not a member (the ring is then
  /// unchanged). Costs O(members × vnodes). Not thread-safe.
  void remove(MemberId member);

  /// The member owning the key. Throws sluice::StateError on an empty ring.
  /// O(log(members × vnodes)), allocates nothing. Thread-safe (const).
  [[nodiscard]] MemberId owner(std::string_view key) const;

  /// The first k distinct members clockwise from the key: owners(key, k)[0] is
  /// owner(key), the others are its fallbacks in order. Throws sluice::StateError on an
  /// empty ring and sluice::InvalidArgument unless 1 <= k <= members().size().
  /// Thread-safe (const).
  [[nodiscard]] std::vector<MemberId> owners(std::string_view key, std::size_t k) const;

  /// The members, in ascending order. Thread-safe (const).
  [[nodiscard]] std::span<const MemberId> members() const noexcept { return m_members; }

  /// Whether the id is a member. Thread-safe (const).
  [[nodiscard]] bool contains(MemberId member) const noexcept;

  /// How many membership changes (successful add or remove) this ring has seen; 0 when
  /// built. Messages carry it so that a receiver can tell which ring routed them.
  /// Thread-safe (const).
  [[nodiscard]] std::uint64_t epoch() const noexcept { return m_epoch; }

  /// Virtual nodes per member, as given to the constructor. Thread-safe (const).
  [[nodiscard]] std::size_t vnodes_per_member() const noexcept { return m_vnodes_per_member; }

  /// The position of a member's virtual node on the circle; the same on every process.
  /// Thread-safe.
  [[nodiscard]] static std::uint64_t vnode_point(MemberId member, std::size_t vnode) noexcept;

 private:
  // Index into m_points of the first point clockwise of the key's hash (wrapping).
  [[nodiscard]] std::size_t first_point(std::string_view key) const noexcept;

  std::size_t m_vnodes_per_member;
  std::uint64_t m_epoch = 0;
  std::vector<MemberId> m_members;  // sorted
  // Two parallel arrays sorted by (point, member) rather than one array of pairs: the
  // binary search then reads only the 8-byte points, half the cache lines.
  std::vector<std::uint64_t> m_points;
  std::vector<MemberId> m_point_members;
};

}  // namespace sluice::ring
