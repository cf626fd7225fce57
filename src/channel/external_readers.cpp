#include "external_readers.hpp"

#include "channel_state.hpp"

namespace sluice::channel::detail {

void ExternalReaders::add(const Runtime& runtime, const mpi::Comm& group, ChannelState& stream) {
  const std::string& job = runtime.job_id();
  if (job.empty()) {
    return;
  }
  const StreamInfo& info = stream.info;
  // This node's blocks, in the order of the stream's producers; the first one's
  // process makes the segment.
  shm::detail::MirroredStream mirrored{info.name, info.dtype, info.global_shape, {}};
  int maker = -1;
  for (const auto& producer : info.producers) {
    if (producer.layout.block_elements() > 0 && runtime.shares_node_with(producer.world_rank)) {
      maker = maker < 0 ? producer.world_rank : maker;
      mirrored.blocks.push_back(producer.layout.block());
    }
  }
  if (maker == runtime.world_rank()) {
    if (!m_node.joined()) {
      m_node = shm::detail::NodeSegments::join(job, runtime.job_instance());
    }
    m_node.add_stream(mirrored);
  }
  if (group.size() > 1) {
    group.barrier();  // the segment exists before the node's other producers open it
  }
  bool has_elements = false;
  for (const auto& block : stream.blocks) {
    has_elements = has_elements || block.layout.block_elements() > 0;
  }
  if (!has_elements) {
    return;
  }
  if (!m_node.joined()) {
    m_node = shm::detail::NodeSegments::join(job, runtime.job_instance());
  }
  const int segment = m_node.find_stream(info.name);
  if (segment < 0) {
    return;  // the maker said why
  }
  for (auto& block : stream.blocks) {
    if (block.layout.block_elements() > 0) {
      block.mirror = shm::detail::StreamMirror::open(job, segment, block.layout.block_start);
    }
  }
}

}  // namespace sluice::channel::detail
