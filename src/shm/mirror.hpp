#pragma once
// Private: the producer's side of the external readers' path. Each stream's segment is
// made on each node when the stream is exposed; every producing rank then copies its
// block into its stream's segment after each commit, but only while an external
// reader has shown itself recently (the heartbeat), and never waits for one.
//
// Why a copy, when in-job readers read the MPI window in place: processes outside the
// job cannot map the memory of an MPI window (Open MPI keeps it in private session
// files), and an MPI window made over a Boost.Interprocess segment (MPI_Win_create)
// loses Open MPI's shared-memory one-sided component: MPI_Get drops to a third of the
// speed, and the protocol's atomics stall while the producer computes (osc pt2pt).
// So the window stays what MPI allocates, and the segment gets one memcpy of the
// block per commit while someone taps it; nobody tapping costs one atomic load.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "node_directory.hpp"
#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"

namespace sluice::shm::detail {

struct MirroredStream {
  std::string name;
  Dtype dtype = Dtype::f64;
  Extents shape;
  std::vector<Box> blocks;  // the blocks of this node's producers
};

// A process's part in the job's segments on its node, from its first exposed stream
// to its close. Every process that produces a stream of the job on the node holds
// one: it holds the job's lock (so the job is running while any of them does), adds
// its streams' segments to the directory, and the last to leave marks the job
// finished and removes its names. So streams exposed while the simulation runs (a
// graph's derived streams, on a scheduler) are tapped like the simulation's, and the
// simulation ending first does not take them away.
class NodeSegments {
 public:
  NodeSegments() = default;
  NodeSegments(NodeSegments&& other) noexcept;
  NodeSegments& operator=(NodeSegments&& other) noexcept;
  NodeSegments(const NodeSegments&) = delete;
  NodeSegments& operator=(const NodeSegments&) = delete;
  ~NodeSegments() { leave(); }

  // Opens the job's directory on this node, creating it if this process is the
  // first (and then removing what crashed jobs left behind). Not joined if it cannot
  // (logged: in-job reading is unaffected).
  static NodeSegments join(const std::string& job, std::uint32_t instance);
  [[nodiscard]] bool joined() const noexcept { return !m_job.empty(); }

  // Adds a stream: claims its entry, creates its segment (one block record per block
  // of this node's producers), then makes it visible. Its index, or -1 (logged).
  int add_stream(const MirroredStream& stream);
  // The index of a stream another process of this node added; -1 if there is none.
  [[nodiscard]] int find_stream(const std::string& name) const;

  // Lets go. The last process of the node to leave marks the job finished and removes
  // its names (readers that have a segment mapped keep it until they let go).
  void leave();

 private:
  std::string m_job;  // empty: not joined
  Mapping m_directory;
  JobLock m_lock;
};

class StreamMirror {
 public:
  // Opens stream n's segment as the producer of the block starting at `block_start`.
  // Null if the segment cannot be opened (logged: in-job reading is unaffected).
  static std::unique_ptr<StreamMirror> open(const std::string& job, int stream,
                                            const std::vector<std::int64_t>& block_start);

  // Copies the part of the owned block of `local` (local_shape, owned from
  // local_offset) inside the exposed region as iteration `iteration`, if an external
  // reader is there; wakes waiting readers.
  void write(std::int64_t iteration, const std::byte* local, const Extents& local_shape,
             const Extents& local_offset, const Box& exposed);
  // No more iterations from this producer.
  void close();

  [[nodiscard]] std::uint64_t copies() const noexcept { return m_copies; }

 private:
  StreamMirror(Mapping mapping, int block) : m_mapping(std::move(mapping)), m_block(block) {}
  Mapping m_mapping;
  int m_block;
  std::uint64_t m_copies = 0;
};

}  // namespace sluice::shm::detail
