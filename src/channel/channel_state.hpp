#pragma once
// Private: the producer-side state behind a Channel.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "../shm/mirror.hpp"
#include "protocol.hpp"
#include "sluice/channel/stream_info.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/window.hpp"
#include "sluice/steer/stream_control.hpp"

namespace sluice::channel {
class Bridge;
}

namespace sluice::channel::detail {

struct ChannelState {
  Bridge* bridge = nullptr;
  const mpi::Comm* simulation = nullptr;  // for consistent skip decisions
  StreamInfo info;
  steer::SteeredStream* steering = nullptr;  // exposure and injections, kept by the Agent
  Layout layout;                             // this rank's, normalized
  int world_rank = 0;
  bool owns_data = false;  // false for a rank whose block is empty
  WindowLayout window_layout;
  mpi::Window window;
  std::optional<mpi::LockAllEpoch> epoch;

  std::int64_t last_iteration = -1;
  std::int64_t acquired = -1;         // iteration between slot() and commit(), or -1
  bool acquired_is_dropped = false;   // skip policy: this iteration is not published
  bool acquired_is_withheld = false;  // steering: this iteration is not exposed
  std::uint64_t published = 0;
  std::uint64_t skipped = 0;
  std::uint64_t withheld = 0;
  std::uint64_t max_lag = 0;
  bool closed = false;
  std::vector<std::int64_t> slot_iteration;  // per slot, -1 if never written
  std::vector<std::uint64_t> slot_seq;       // per slot, odd while being written
  std::vector<std::byte> scratch[2];         // where dropped iterations are computed, in turn
  int next_scratch = 0;
  std::uint64_t bytes_pulled_at_close = 0;  // the window's counter, kept once it is freed
  // This rank's block as external readers on the node see it (null: nobody can).
  std::unique_ptr<shm::detail::StreamMirror> mirror;
};

}  // namespace sluice::channel::detail
