#pragma once
/// @file
/// What every process of the job knows about an exposed stream.

#include <string>
#include <vector>

#include "sluice/channel/layout.hpp"
#include "sluice/channel/options.hpp"
#include "sluice/core/dtype.hpp"

namespace sluice::channel {

/// One producing rank's block of a stream.
struct ProducerBlock {
  int world_rank;  ///< rank in Runtime::world()
  Layout layout;   ///< normalized (local_shape and local_offset filled in)
};

struct StreamInfo {
  std::string name;
  Dtype dtype = Dtype::f64;
  Extents global_shape;
  ChannelOptions options;
  /// Producing ranks in simulation-rank order, blocks that own nothing excluded.
  std::vector<ProducerBlock> producers;
};

}  // namespace sluice::channel
