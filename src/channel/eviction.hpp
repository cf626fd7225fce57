#pragma once
// Private: reader leases under Policy::block. A producer that has waited longer than
// the stream's lease for the slot of iteration `old` evicts the readers still holding
// it, on every producer of the stream (see protocol.hpp, SubscriberWord), so that no
// producing rank waits for them any more.
#include <chrono>
#include <cstdint>

namespace sluice::channel::detail {

struct ChannelState;

// Evicts every active, not yet evicted reader of this producer's table that holds
// `old`; `waited` is how long this producer waited for it. Returns how many readers
// this call evicted first (counted and logged here).
int evict_holders(const ChannelState& s, std::int64_t old, std::chrono::nanoseconds waited);

}  // namespace sluice::channel::detail
