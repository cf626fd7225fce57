#pragma once
// Private: how a Producer makes its streams visible to processes outside the job on
// each node (sluice::shm::Tap, sluice-tap): when a stream is exposed, the node's first
// producer of it adds its segment to the job's directory there, and each producing
// process opens the mirror of its blocks. The same for the simulation's streams and
// for those exposed while it runs (a graph's derived streams, on a scheduler).
#include "../shm/mirror.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::channel::detail {

struct ChannelState;

class ExternalReaders {
 public:
  // Makes a stream just exposed visible on the nodes of its producers. Collective over
  // the stream's group (part of the expose); nothing when the job has external readers
  // off (Runtime::job_id() empty).
  void add(const Runtime& runtime, const mpi::Comm& group, ChannelState& stream);
  // At close, after every channel closed: lets go of the node's segments (the job's
  // last process there removes them). Local.
  void finish() { m_node.leave(); }

 private:
  shm::detail::NodeSegments m_node;  // joined with this process's first block
};

}  // namespace sluice::channel::detail
