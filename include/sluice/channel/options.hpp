#pragma once
/// @file
/// How a stream treats readers slower than the simulation.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::channel {

enum class Policy : std::uint8_t {
  /// Nothing is lost: before reusing a slot, the producer waits until every current
  /// subscriber released the iteration it held. The default. A subscriber that keeps
  /// the producers waiting longer than the stream's reader lease is evicted.
  block,
  /// The producer never waits: if a subscriber still holds the slot, the iteration
  /// is dropped on every producing rank alike, and counted.
  skip,
  /// The producer never waits and overwrites; readers only ever get the newest
  /// iteration (a read overtaken by the producer is detected and retried).
  latest,
};

[[nodiscard]] std::string_view policy_name(Policy policy) noexcept;
[[nodiscard]] std::optional<Policy> parse_policy(std::string_view name) noexcept;

struct ChannelOptions {
  /// Slots per producing rank: how many iterations readers can lag before the policy
  /// applies. At least 1.
  int depth = 2;
  Policy policy = Policy::block;
  /// Under Policy::block, how long the producers wait for a subscriber that holds the
  /// iteration they need (a stopped or deadlocked reader) before they evict it: they
  /// stop waiting for it on every producing rank, count and log it, and its next
  /// step is an error saying so (it may subscribe again). Negative: from the
  /// environment, SLUICE_READER_LEASE in seconds, or 60 s. Zero or infinite: never
  /// evict (the producers wait as long as it takes). Give every producing rank the
  /// same.
  std::chrono::duration<double> reader_lease{-1.0};
};

}  // namespace sluice::channel
