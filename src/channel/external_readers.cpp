#include "external_readers.hpp"

#include <mpi.h>

#include <cstdlib>
#include <cstring>

#include "channel_state.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"

namespace sluice::channel::detail {

void ExternalReaders::prepare(const Runtime& runtime,
                              const std::vector<const StreamInfo*>& streams) {
  char job[16] = {};
  if (runtime.comm().rank() == 0) {
    const char* setting = std::getenv("SLUICE_EXTERNAL_READERS");
    if (setting == nullptr || std::strcmp(setting, "off") != 0) {
      const std::string id = shm::detail::new_job_id();
      std::memcpy(job, id.data(), id.size());
    }
  }
  check_mpi(MPI_Bcast(job, sizeof(job), MPI_CHAR, 0, runtime.comm().get()), "MPI_Bcast",
            "agreeing on the job id of the shared-memory segments");
  m_job = job;
  if (m_job.empty()) {
    return;
  }
  // The node's leader: its lowest simulation rank.
  const auto simulation = runtime.ranks_of(Role::simulation);
  int leader = -1;
  for (int rank : simulation) {
    if (runtime.shares_node_with(rank)) {
      leader = rank;
      break;
    }
  }
  m_leader = leader == runtime.world_rank();
  m_streams = static_cast<int>(streams.size());
  if (!m_leader) {
    return;
  }
  std::vector<shm::detail::MirroredStream> mirrored;
  for (const StreamInfo* info : streams) {
    shm::detail::MirroredStream stream;
    stream.name = info->name;
    stream.dtype = info->dtype;
    stream.shape = info->global_shape;
    for (const auto& producer : info->producers) {
      if (runtime.shares_node_with(producer.world_rank)) {
        stream.blocks.push_back(producer.layout.block());
      }
    }
    mirrored.push_back(std::move(stream));
  }
  try {
    m_lock = shm::detail::create_job_segments(m_job, mirrored);
  } catch (const std::exception& e) {
    // External readers are a convenience: the job runs on without them.
    log::warn("external readers will not see this node's streams: ", e.what());
  }
}

void ExternalReaders::attach(const std::vector<ChannelState*>& channels) {
  if (m_job.empty()) {
    return;
  }
  for (std::size_t n = 0; n < channels.size(); ++n) {
    ChannelState& s = *channels[n];
    if (n >= static_cast<std::size_t>(shm::detail::max_streams)) {
      break;
    }
    for (auto& block : s.blocks) {
      if (block.layout.block_elements() > 0) {
        block.mirror =
            shm::detail::StreamMirror::open(m_job, static_cast<int>(n), block.layout.block_start);
      }
    }
  }
}

void ExternalReaders::finish() {
  if (m_leader) {
    shm::detail::finish_job_segments(m_job, m_streams);
    m_lock = {};
  }
}

}  // namespace sluice::channel::detail
