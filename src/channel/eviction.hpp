#pragma once
// Private: reader leases under Policy::block. A producer that has waited longer than
// the stream's lease for the slot of iteration `old` evicts the readers still holding
// it, on every producer of the stream (see protocol.hpp, SubscriberWord), so that no
// producing rank waits for them any more.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::channel::detail {

struct ChannelState;

// Which of the readers holding an iteration to evict.
enum class Holders {
  all,   // the lease ran out, or the simulation stops
  gone,  // only those whose process is gone (Runtime::is_gone): at once
};

// Evicts every active, not yet evicted reader of this producer's table that holds
// `old` (those `which` selects); `waited` is how long this producer waited for it, `why`
// the reason logged ("the stream's reader lease ran out"). Returns how many readers
// this call evicted first (counted and logged here).
int evict_holders(const ChannelState& s, std::int64_t old, std::chrono::nanoseconds waited,
                  std::string_view why, Holders which = Holders::all);

// What a publish waiting on a reader waits on, for the operator: "publishing iteration
// 42 of stream 'temperature' has waited 12.5 s for analytics rank 0 (world rank 3),
// which holds (or has not read) iteration 40; reader lease 60 s".
std::string waiting_text(const ChannelState& s, std::int64_t iteration, std::int64_t old,
                         std::chrono::nanoseconds waited);

}  // namespace sluice::channel::detail
