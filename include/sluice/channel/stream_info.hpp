#pragma once
/// @file
/// What every process of the job knows about an exposed stream.

#include <string>
#include <vector>

#include "sluice/channel/layout.hpp"
#include "sluice/channel/options.hpp"
#include "sluice/core/dtype.hpp"

namespace sluice::channel {

/// One block of a stream on its producing rank. A rank may produce several blocks
/// (patches, chunks); they share its slots: each slot of the rank holds every one of
/// its blocks' local buffers, one after the other.
struct ProducerBlock {
  int world_rank = 0;  ///< rank in Runtime::world()
  Layout layout;       ///< normalized (local_shape and local_offset filled in)
  int block = 0;       ///< which of its rank's blocks (in the order the rank exposed them)
  /// Where the stream's part of the rank's pool starts (Runtime::pool()).
  std::size_t window_offset_bytes = 0;
  std::size_t offset_bytes = 0;  ///< where its local buffer starts inside a slot of the rank
  std::size_t slot_bytes = 0;    ///< bytes of a whole slot of the rank (all its blocks)
};

struct StreamInfo {
  std::string name;
  Dtype dtype = Dtype::f64;
  Extents global_shape;
  ChannelOptions options;
  /// A single value per iteration (Producer::expose_value: the simulation time, a
  /// residual), read with Step::value(); carried as a one-element array.
  bool is_value = false;
  /// Every block, by producing rank (in rank order) then block; blocks that own
  /// nothing are left out.
  std::vector<ProducerBlock> producers;

  /// The world ranks that produce at least one block, ascending, each once.
  [[nodiscard]] std::vector<int> producer_ranks() const;
};

}  // namespace sluice::channel
