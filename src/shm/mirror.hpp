#pragma once
// Private: the producer's side of the external readers' path. The node's leading
// simulation rank creates the job's segments at start; every producing rank then
// copies its block into its stream's segment after each commit, but only while an
// external reader has shown itself recently (the heartbeat), and never waits for one.
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

// The leader's part: removes stale jobs, creates the directory and one segment per
// stream. `streams` in exposure order (stream n is segment n). The lock returned
// marks the job as running until it is destroyed.
[[nodiscard]] JobLock create_job_segments(const std::string& job,
                                          const std::vector<MirroredStream>& streams);
// The leader's part at the end: readers see the job finished; the names go (readers
// that have a segment mapped keep it until they let go).
void finish_job_segments(const std::string& job, int streams);

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
