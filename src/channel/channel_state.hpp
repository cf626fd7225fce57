#pragma once
// Private: the producer-side state behind a Channel.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "../shm/mirror.hpp"
#include "protocol.hpp"
#include "sluice/channel/stream_info.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/window.hpp"
#include "sluice/steer/stream_control.hpp"

namespace sluice::channel {
class Producer;
}

namespace sluice::channel::detail {

// One of this process's blocks of the stream.
struct OwnBlock {
  Layout layout;                 // normalized
  std::size_t offset_bytes = 0;  // of its local buffer inside a slot
  // This block as external readers on the node see it (null: nobody can).
  std::unique_ptr<shm::detail::StreamMirror> mirror;
};

struct ChannelState {
  Producer* producer = nullptr;
  const mpi::Comm* group = nullptr;  // the producers, for consistent skip decisions
  StreamInfo info;
  // Exposure and injections: kept by the simulation's steering Agent for a Bridge's
  // streams; otherwise the channel's own (everything exposed, no injections).
  steer::SteeredStream* steering = nullptr;
  std::unique_ptr<steer::SteeredStream> own_steering;
  std::vector<OwnBlock> blocks;  // may be empty: this process owns nothing
  int world_rank = 0;
  bool owns_data = false;  // some block has elements
  WindowLayout window_layout;
  const mpi::Window* window = nullptr;  // the job's pool

  std::int64_t last_iteration = -1;
  std::int64_t acquired = -1;            // iteration between slot() and commit(), or -1
  bool acquired_is_dropped = false;      // skip policy: this iteration is not published
  bool acquired_is_withheld = false;     // steering: this iteration is not exposed
  std::byte* acquired_buffer = nullptr;  // where the acquired iteration's blocks lie
  std::uint64_t published = 0;
  std::uint64_t skipped = 0;
  std::uint64_t withheld = 0;
  std::uint64_t max_lag = 0;
  std::chrono::nanoseconds reader_lease{0};  // Policy::block; 0: never evict
  // Called now and then while a publish waits on a reader (Policy::block), with what
  // it waits on; true: give way (a stop), evicting the readers it waits on. The
  // simulation's steering serves the operator from here (Bridge).
  std::function<bool(std::string_view waiting)> while_waiting;
  bool closed = false;
  std::vector<std::int64_t> slot_iteration;  // per slot, -1 if never written
  std::vector<std::uint64_t> slot_seq;       // per slot, odd while being written
  std::vector<std::byte> scratch[2];         // where dropped iterations are computed, in turn
  int next_scratch = 0;

  [[nodiscard]] std::byte* slot_data(int slot) const {
    return window->base() + window_layout.slot_offset(slot);
  }
};

}  // namespace sluice::channel::detail
