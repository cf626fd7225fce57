#pragma once
// Private: the reader-side state behind Consumer, Subscription and Step.
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "protocol.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/mpi/datatype.hpp"
#include "sluice/mpi/window.hpp"

namespace sluice::channel::detail {

// A producing process of a subscription: it keeps the subscription's iterations (one
// entry of its subscriber table) for all its blocks at once.
struct Source {
  int world_rank = 0;
  int entry = -1;              // this subscription's row in the producer's subscriber table
  WindowLayout window_layout;  // of the stream's part of the producer's pool
  // Where the producer's pool is mapped in this process, when it is read in place;
  // null otherwise.
  const std::byte* mapped = nullptr;
};

struct ConsumedStream {
  StreamInfo info;
  const mpi::Window* window = nullptr;  // the job's pool
  // Subscriber entries this consumer held and let go (closed or evicted subscriptions),
  // per producer world rank: its next subscriptions take them before new tickets, so
  // that a reader may subscribe again any number of times (see protocol.hpp).
  std::map<int, std::vector<int>> retired_entries;

  void retire_entries(const std::vector<Source>& sources) {
    for (const auto& source : sources) {
      if (source.entry >= 0) {
        retired_entries[source.world_rank].push_back(source.entry);
      }
    }
  }
  // A retired entry of `world_rank`'s table, or -1.
  int take_retired_entry(int world_rank) {
    auto& retired = retired_entries[world_rank];
    if (retired.empty()) {
      return -1;
    }
    const int entry = retired.back();
    retired.pop_back();
    return entry;
  }
};

// The part of a selection one producer block provides.
struct Part {
  std::size_t source = 0;  // in SubscriptionState::sources
  const ProducerBlock* block = nullptr;
  const Layout* layout = nullptr;  // the block's
  // Nothing to pull from this block for the current (clipped) selection; its producer
  // still keeps iterations for the subscription, which releases them.
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
  std::vector<Source> sources;
  std::vector<Part> parts;
  std::vector<std::byte> buffer;
  std::uint64_t reader = 0;  // the number in its entries (protocol.hpp)
  std::int64_t start_iteration = 0;
  std::int64_t last_delivered = -1;
  std::int64_t held = -1;                    // iteration of the step not yet released
  std::int64_t held_committed_ns = 0;        // when its last producer committed it
  std::vector<std::uint64_t> latest_commit;  // per slot, over the producers (scratch)
  std::uint64_t generation = 0;              // counts next() calls; a Step is valid for one
  SubscriptionCounters counters;
  // Reused by every next(): the pull path allocates nothing once warm.
  std::vector<std::uint64_t> heads;        // one producer's slot heads
  std::vector<std::uint64_t> first_heads;  // the first producer's
  std::vector<char> agreed;                // per slot: every producer holds the same
  std::vector<std::uint64_t> before;       // slot head per source, before the data
  bool active = true;
  // Read in place: the parts of the step held now, in the producers' slots.
  bool in_place = false;
  std::vector<InPlaceBlock> views;
};

struct ConsumerState {
  const Runtime* runtime = nullptr;
  Bridge* bridge = nullptr;  // set on a simulation rank, which reads through its Bridge
  std::unique_ptr<StreamCatalog> catalog;
  std::vector<std::unique_ptr<ConsumedStream>> streams;
  std::vector<StreamInfo> infos;
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  ConsumerOptions options;
  bool started = false;
  bool closed = false;
};

// Plans the pull of `selection` (normalized, in the block or not) from the part's
// block: overlap, datatypes, contiguous run. Marks the part idle if they do not
// intersect.
void plan_part(Part& part, const Selection& selection, Dtype dtype);

// The second half of the job's set-up (Runtime::start): subscriptions made before it
// get every iteration from the first one published. Collective over the job.
void begin_reading(ConsumerState& consumer);

}  // namespace sluice::channel::detail
