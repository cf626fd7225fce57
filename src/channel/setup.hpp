#pragma once
// Private: the set-up exchange between the simulation's Bridge and every other
// process of the job (consumers, schedulers, services).
//
// Windows are collective over the whole job, so exposing a stream is a job-wide
// step: every process contributes a SetupRecord to one MPI_Allgather on the
// runtime's world, and every process validates the simulation ranks' records the
// same way. They all reach the same verdict (a stream, an error, or "set-up is
// over"), so a bad layout is an error on the simulation and a skipped stream on the
// readers, never a hang.
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

enum class SetupKind : std::int32_t { none = 0, expose = 1, start = 2 };

constexpr std::size_t max_name_length = 127;

struct SetupRecord {
  SetupKind kind = SetupKind::none;
  std::int32_t dtype = 0;
  std::int32_t dims = 0;
  std::int32_t depth = 0;
  std::int32_t policy = 0;
  std::int32_t padding = 0;
  std::int64_t global_shape[3] = {};
  std::int64_t block_start[3] = {};
  std::int64_t block_count[3] = {};
  std::int64_t local_shape[3] = {};
  std::int64_t local_offset[3] = {};
  char name[max_name_length + 1] = {};
  char local_error[256] = {};  // this rank's own complaint about its layout, if any
};

SetupRecord expose_record(std::string_view name, Dtype dtype, const Layout& layout,
                          const ChannelOptions& options);
SetupRecord start_record();

struct SetupOutcome {
  SetupKind kind = SetupKind::none;
  StreamInfo stream;  // when kind == expose and error is empty
  std::string error;  // the same text on every process
};

// Collective over `world`. `simulation_ranks` are the world ranks of the simulation.
SetupOutcome exchange(const mpi::Comm& world, const SetupRecord& mine,
                      std::span<const int> simulation_ranks);

// Empty if `name` is a valid stream name, otherwise why not.
std::string check_name(std::string_view name);

}  // namespace sluice::channel::detail
