#pragma once
/// @file
/// sluice::shm::Tap: read a running job's streams from a process outside the MPI job,
/// on the same node, by stream name (the `sluice-tap` tool is built on it).
///
/// An external reader is a `latest`-only observer: it reads the newest iteration the
/// node's producers copied for it, never an older one, and never blocks or slows the
/// producers (they copy their blocks into the job's shared-memory segments only while
/// a reader shows itself, and never wait for one). A read is consistent: every
/// element of it belongs to the same iteration (seqlock), never torn.
///
/// @code
/// for (const auto& job : sluice::shm::list_jobs()) { ... job.id, job.streams ... }
/// sluice::shm::Tap tap("", "temperature");   // the node's only job
/// std::vector<double> field(tap.info().elements());
/// auto got = tap.wait_next(-1, std::chrono::seconds(5));
/// if (got.status == sluice::shm::TapStatus::ok)
///   got = tap.read_latest({}, field.data(), field.size() * sizeof(double));
/// @endcode
///
/// Only the blocks of producers on this node are visible: in a job spanning nodes, a
/// tap on each node sees that node's part of the array. Not thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"

namespace sluice::shm {

/// A sluice job on this node, as its directory segment tells.
struct TapJob {
  std::string id;
  std::int64_t pid = 0;           ///< the process that created the job's directory here
  std::int64_t started_unix = 0;  ///< when, in seconds since the epoch
  bool alive = false;             ///< a process of the job still produces streams on this node
  bool finished = false;          ///< the job closed its streams
  /// In the order they were exposed: the simulation's, then those exposed while it
  /// runs (a graph's derived streams appear when the graph is submitted).
  std::vector<std::string> streams;
};

/// Every job with segments on this node that this user can read.
[[nodiscard]] std::vector<TapJob> list_jobs();

/// What a tap knows of its stream.
struct TapStreamInfo {
  std::string job;
  std::string name;
  Dtype dtype = Dtype::f64;
  Extents shape;
  /// The blocks of this node's producers.
  std::vector<Box> blocks;
  [[nodiscard]] std::int64_t elements() const noexcept;
};

enum class TapStatus {
  ok,
  timeout,        ///< nothing new within the timeout
  end_of_stream,  ///< the producers closed the stream
  producer_gone,  ///< a producer exited without closing it (crashed, killed)
};

[[nodiscard]] std::string_view tap_status_name(TapStatus status) noexcept;

struct TapRead {
  TapStatus status = TapStatus::timeout;
  std::int64_t iteration = -1;  ///< of the data read, or the newest seen
};

class Tap {
 public:
  /// Attaches to `stream` of `job` (empty: the node's only running job). Throws
  /// sluice::NotFound naming the jobs or streams there are, InvalidArgument for a
  /// segment that is not sluice's.
  Tap(std::string_view job, std::string_view stream);
  Tap(const Tap&) = delete;
  Tap& operator=(const Tap&) = delete;
  Tap(Tap&&) noexcept;
  Tap& operator=(Tap&&) noexcept;
  ~Tap();

  [[nodiscard]] const TapStreamInfo& info() const noexcept;

  /// The newest iteration every producer of the node has copied, or -1.
  [[nodiscard]] std::int64_t newest_iteration() const;
  /// Iterations per second, as the producers measure it (0 before two copies).
  [[nodiscard]] double rate_hz() const;

  /// Waits until every producer of the node holds an iteration after `after`, at most
  /// `timeout`: ok (iteration set), timeout, end_of_stream or producer_gone.
  TapRead wait_next(std::int64_t after, std::chrono::milliseconds timeout);

  /// Reads the newest iteration of `box` (Box{}: the whole array) into `into`
  /// (row-major, `bytes` long, exactly the box), consistently. InvalidArgument for a
  /// box outside the array or outside this node's blocks, or a buffer of the wrong
  /// size. Status timeout if nothing was copied yet within `timeout`.
  TapRead read_latest(const Box& box, void* into, std::size_t bytes,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace sluice::shm
