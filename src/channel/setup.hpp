#pragma once
// Private: how the processes of a producer group agree on a stream they expose.
//
// Every process of the group contributes one record per block (one with nothing if it
// owns no block) to an MPI_Allgatherv over the group, and every process validates all
// of them the same way: they all reach the same verdict (a stream, or the same error),
// never a hang. Nobody outside the group takes part.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sluice/channel/layout.hpp"
#include "sluice/channel/options.hpp"
#include "sluice/channel/stream_info.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/mpi/comm.hpp"

namespace sluice::channel::detail {

constexpr std::size_t max_name_length = 127;

struct SetupRecord {
  std::int32_t dtype = 0;
  std::int32_t dims = 0;
  std::int32_t depth = 0;
  std::int32_t policy = 0;
  std::int32_t world_rank = 0;
  std::int32_t block = -1;  // -1: this process owns no block
  std::uint64_t window_offset_bytes = 0;
  std::uint64_t offset_bytes = 0;
  std::uint64_t slot_bytes = 0;
  std::int64_t global_shape[3] = {};
  std::int64_t block_start[3] = {};
  std::int64_t block_count[3] = {};
  std::int64_t local_shape[3] = {};
  std::int64_t local_offset[3] = {};
  char name[max_name_length + 1] = {};
  char local_error[512] = {};  // this process's own complaint, if any (whole, not cut)
};

// This process's records for a stream: one per block of `blocks` (one without a block
// if there is none), with `problem` (if not empty) as its complaint. `layouts` are
// checked here; their offsets in the pool are filled in by the caller.
std::vector<SetupRecord> expose_records(std::string_view name, Dtype dtype,
                                        std::span<const Layout> blocks,
                                        const ChannelOptions& options, int world_rank,
                                        std::string problem);

struct SetupOutcome {
  StreamInfo stream;  // when error is empty
  std::string error;  // the same text on every process of the group
};

// Collective over `group`. `member` names a process of the group in messages
// ("simulation rank").
SetupOutcome exchange(const mpi::Comm& group, std::span<const SetupRecord> mine,
                      std::string_view member);

// Empty if `name` is a valid stream name, otherwise why not.
std::string check_name(std::string_view name);

}  // namespace sluice::channel::detail
