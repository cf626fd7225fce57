#pragma once
// Private: how a Bridge makes its streams visible to processes outside the job on
// each node (sluice::shm::Tap, sluice-tap): the job's segments, made at start by each
// node's leading simulation rank, and each producing rank's mirror of its blocks.
#include <memory>
#include <string>
#include <vector>

#include "../shm/mirror.hpp"
#include "sluice/channel/channel.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::channel::detail {

struct ChannelState;

class ExternalReaders {
 public:
  // The first half, before start's barrier: agree on the job id (simulation rank 0
  // draws it; SLUICE_EXTERNAL_READERS=off on rank 0 turns the feature off for the
  // job) and, on each node's leader, create the segments. Collective over the
  // simulation ranks.
  void prepare(const Runtime& runtime, const std::vector<const StreamInfo*>& streams);
  // The second half, after the barrier: each producing rank opens its mirrors.
  void attach(const std::vector<ChannelState*>& channels);
  // At close, after every channel closed: the leaders remove the job's names.
  void finish();

  [[nodiscard]] const std::string& job() const noexcept { return m_job; }

 private:
  std::string m_job;  // empty: off
  bool m_leader = false;
  shm::detail::JobLock m_lock;  // the leader's, while the job runs
  int m_streams = 0;
};

}  // namespace sluice::channel::detail
