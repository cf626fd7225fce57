#pragma once
/// @file
/// How far a stream has got: what any reader can learn from the producers' windows
/// without disturbing them (Consumer::progress), and what the scheduler ring reports
/// for the stream.

#include <cstdint>
#include <vector>

namespace sluice::channel {

/// One producing rank's counters, read one-sided from its window.
struct ProducerProgress {
  int world_rank = 0;
  std::int64_t newest_iteration = -1;  ///< -1 before the first commit
  std::uint64_t published = 0;         ///< iterations committed
  std::uint64_t skipped = 0;           ///< iterations dropped under Policy::skip
  std::uint64_t withheld = 0;          ///< iterations steering did not expose
  std::uint64_t evicted = 0;           ///< readers evicted, counted on their first producer
  std::uint64_t bytes_pulled = 0;      ///< by every reader of this block
  std::uint64_t active_readers = 0;    ///< subscriptions that currently read this block
  bool closed = false;
};

struct StreamProgress {
  /// The newest iteration every producer has committed (-1 if some has none yet):
  /// what a reader can read whole.
  std::int64_t newest_iteration = -1;
  std::uint64_t published = 0;       ///< the fewest commits of any producer
  std::uint64_t skipped = 0;         ///< the same on every producer (decided together)
  std::uint64_t withheld = 0;        ///< the same on every producer (steered together)
  std::uint64_t evicted = 0;         ///< readers evicted for outstaying the reader lease
  std::uint64_t bytes_pulled = 0;    ///< summed over producers
  std::uint64_t active_readers = 0;  ///< the most any producer has: distinct subscriptions
                                     ///< at least; each reads the blocks it intersects
  bool closed = false;               ///< every producer has closed the stream
  std::vector<ProducerProgress> producers;
};

}  // namespace sluice::channel
