#include "sluice/ring/rendezvous.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "sluice/core/error.hpp"
#include "sluice/core/hash.hpp"

namespace sluice::ring {

namespace {

// A member's salt, computed once on add. fmix64 is a bijection, so for one key two
// members score alike only if their salts are equal; ties are broken by the lower id.
std::uint64_t salt_of(MemberId member) noexcept {
  return stable_hash(static_cast<std::uint64_t>(static_cast<std::uint32_t>(member)));
}

std::uint64_t salted_score(std::uint64_t key_hash, std::uint64_t salt) noexcept {
  return fmix64(key_hash ^ salt);
}

std::string describe(std::string_view what, MemberId member) {
  return std::string(what) + '(' + std::to_string(member) + ')';
}

}  // namespace

std::uint64_t RendezvousHash::score(std::uint64_t key_hash, MemberId member) noexcept {
  return salted_score(key_hash, salt_of(member));
}

void RendezvousHash::add(MemberId member) {
  if (member < 0) {
    throw InvalidArgument(describe("RendezvousHash::add", member),
                          "member ids are world ranks and cannot be negative",
                          "pass the scheduler's rank in MPI_COMM_WORLD");
  }
  const auto at = std::lower_bound(m_members.begin(), m_members.end(), member);
  if (at != m_members.end() && *at == member) {
    throw InvalidArgument(describe("RendezvousHash::add", member), "it is already a member",
                          "remove it first, or check that each rank joins once");
  }
  const auto index = at - m_members.begin();
  m_salts.reserve(m_salts.size() + 1);  // so that the second insert cannot throw
  m_members.insert(at, member);
  m_salts.insert(m_salts.begin() + index, salt_of(member));
  ++m_epoch;
}

void RendezvousHash::remove(MemberId member) {
  const auto at = std::lower_bound(m_members.begin(), m_members.end(), member);
  if (at == m_members.end() || *at != member) {
    throw NotFound(describe("RendezvousHash::remove", member), "it is not a member",
                   "members() lists the current members");
  }
  m_salts.erase(m_salts.begin() + (at - m_members.begin()));
  m_members.erase(at);
  ++m_epoch;
}

MemberId RendezvousHash::owner(std::string_view key) const {
  if (m_members.empty()) {
    throw StateError("RendezvousHash::owner(\"" + std::string(key) + "\")", "there are no members",
                     "add at least one member before looking keys up");
  }
  const std::uint64_t h = stable_hash(key);
  std::size_t best = 0;
  std::uint64_t best_score = salted_score(h, m_salts[0]);
  for (std::size_t i = 1; i < m_salts.size(); ++i) {
    const std::uint64_t s = salted_score(h, m_salts[i]);
    // Strictly greater: members are in ascending order, so a tie keeps the lower id.
    if (s > best_score) {
      best_score = s;
      best = i;
    }
  }
  return m_members[best];
}

std::vector<MemberId> RendezvousHash::owners(std::string_view key, std::size_t k) const {
  const auto asked = [&] {
    return "RendezvousHash::owners(\"" + std::string(key) + "\", " + std::to_string(k) + ')';
  };
  if (m_members.empty()) {
    throw StateError(asked(), "there are no members",
                     "add at least one member before looking keys up");
  }
  if (k < 1 || k > m_members.size()) {
    throw InvalidArgument(
        asked(), "k must be between 1 and the member count, " + std::to_string(m_members.size()),
        "ask for at most members().size() owners");
  }
  const std::uint64_t h = stable_hash(key);
  // Same order as owner(): higher score first, on a tie the lower id.
  std::vector<std::pair<std::uint64_t, MemberId>> ranked(m_members.size());
  for (std::size_t i = 0; i < m_members.size(); ++i) {
    ranked[i] = {salted_score(h, m_salts[i]), m_members[i]};
  }
  const auto better = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), ranked.end(),
                    better);
  std::vector<MemberId> result(k);
  for (std::size_t i = 0; i < k; ++i) {
    result[i] = ranked[i].second;
  }
  return result;
}

}  // namespace sluice::ring
