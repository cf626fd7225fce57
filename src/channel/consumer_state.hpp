#pragma once
// Private: the reader-side state behind Consumer, Subscription and Step.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "protocol.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/mpi/datatype.hpp"
#include "sluice/mpi/window.hpp"

namespace sluice::channel::detail {

struct ConsumedStream {
  StreamInfo info;
  const mpi::Window* window = nullptr;  // owned_window, or the Bridge's on a simulation rank
  mpi::Window owned_window;
  std::optional<mpi::LockAllEpoch> epoch;
};

// The part of a selection one producer block provides.
struct Part {
  int world_rank = 0;
  int entry = -1;                  // this subscription's row in the producer's subscriber table
  const Layout* layout = nullptr;  // the producer's
  WindowLayout window_layout;      // of this producer's window (slot sizes differ by rank)
  // Nothing to pull from this producer for the current (clipped) selection; it still
  // keeps iterations for the subscription, which releases them.
  bool idle = false;
  Overlap overlap;
  MPI_Aint box_offset_bytes = 0;  // first selected element, inside a slot
  mpi::Datatype target_type;      // the strided box in the producer's local buffer
  mpi::Datatype origin_type;      // where it lands in the row-major result
  // When the box is one contiguous run on both sides: its bytes and where it lands
  // in the result; the pull then moves plain bytes (measured faster than the same
  // layout described by derived datatypes with Open MPI's osc sm).
  int contiguous_bytes = 0;
  MPI_Aint result_offset_bytes = 0;
  // Where the producer's window memory is mapped in this process, when it is read in
  // place; null otherwise.
  const std::byte* mapped = nullptr;
};

struct ConsumerState;

struct SubscriptionState {
  ConsumerState* consumer = nullptr;
  ConsumedStream* stream = nullptr;
  Selection selection;
  // The selection clipped to the region the producers expose (steering may narrow
  // it), which the parts are planned for; the region it was planned for.
  Selection effective;
  std::uint64_t planned_region[6] = {};
  bool planned_for_whole = true;
  std::vector<Part> parts;
  std::vector<std::byte> buffer;
  std::int64_t start_iteration = 0;
  std::int64_t last_delivered = -1;
  std::int64_t held = -1;        // iteration of the step not yet released
  std::uint64_t generation = 0;  // counts next() calls; a Step is valid for one
  SubscriptionCounters counters;
  // Reused by every next(): the pull path allocates nothing once warm.
  std::vector<std::uint64_t> heads;        // one producer's slot heads
  std::vector<std::uint64_t> first_heads;  // the first producer's
  std::vector<char> agreed;                // per slot: every producer holds the same
  std::vector<std::uint64_t> before;       // slot head per part, before the data
  bool active = true;
  // Read in place: the parts of the step held now, in the producers' slots.
  bool in_place = false;
  std::vector<InPlaceBlock> views;
};

struct ConsumerState {
  const Runtime* runtime = nullptr;
  Bridge* bridge = nullptr;  // set on a simulation rank, which reads through its Bridge
  std::vector<std::unique_ptr<ConsumedStream>> streams;
  std::vector<StreamInfo> infos;
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  ConsumerOptions options;
  bool started = false;
  bool closed = false;
};

// Plans the pull of `selection` (normalized, in the producer's block or not) from
// the part's producer: overlap, datatypes, contiguous run. Marks the part idle if
// they do not intersect.
void plan_part(Part& part, const Selection& selection, Dtype dtype);

// The second half of Bridge::start(): subscriptions made before it get every
// iteration from the first one published. Collective (with the simulation's start).
void begin_reading(ConsumerState& consumer);

}  // namespace sluice::channel::detail
