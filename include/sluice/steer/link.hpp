#pragma once
/// @file
/// sluice::steer::Link: a service process's line to the simulation's steering Agent.
///
/// The steering server's threads call status(), set(), pause()... concurrently; each
/// call queues a request and waits for its answer. Only the thread that calls pump()
/// touches MPI (MPI_THREAD_FUNNELED is enough): it sends the queued requests to
/// simulation rank 0 and hands the answers back.
///
/// @code
/// sluice::steer::Link link(runtime);
/// std::thread server([&] { /* calls link.set("dt", 0.1) from its threads */ });
/// while (link.pump()) { }   // until the simulation finishes
/// @endcode

#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/mpi/send_queue.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/steer/param.hpp"
#include "sluice/steer/response.hpp"
#include "sluice/steer/stream_control.hpp"
#include "sluice/steer/value.hpp"

namespace sluice::steer {

class Link {
 public:
  /// Local. `runtime` must be a service process's and outlive the link.
  explicit Link(const Runtime& runtime);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();

  /// Thread-safe; each blocks until the answer, the timeout or the simulation's end.
  Response status(std::chrono::milliseconds timeout);
  Response set(std::string_view name, const Value& value, std::chrono::milliseconds timeout);
  Response pause(std::chrono::milliseconds timeout);
  Response resume(std::chrono::milliseconds timeout);
  Response stop(std::chrono::milliseconds timeout);
  /// Changes what a stream publishes (see stream_control.hpp).
  Response control_stream(std::string_view stream, const StreamControl& control,
                          std::chrono::milliseconds timeout);
  /// Writes `data` (raw elements of `dtype`, row-major over `region`) into the
  /// stream's simulation array. At most 256 MiB.
  Response inject(std::string_view stream, std::string_view dtype, const Box& region,
                  std::span<const std::byte> data, std::chrono::milliseconds timeout);

  /// Sends queued requests and delivers answers, waiting up to `wait` for something to
  /// do. Call from one thread, the one that uses MPI. Returns false once the
  /// simulation has finished (and has received everything this process sent it).
  bool pump(std::chrono::milliseconds wait = std::chrono::milliseconds(1));

  [[nodiscard]] bool finished() const;

 private:
  struct Pending;
  Response call(int kind, std::string_view name, const Value& value, std::string_view body,
                std::chrono::milliseconds timeout);

  const Runtime* m_runtime;
  int m_simulation_root;
  mutable std::mutex m_mutex;
  std::condition_variable m_work;  // a request was queued
  // Requests queued by callers (by id), not yet handed to MPI.
  std::deque<std::pair<std::uint64_t, std::vector<std::byte>>> m_outgoing;
  // Requests handed to MPI and their buffers: pump() thread only. A request leaves
  // m_outgoing (where a caller that times out can still withdraw it) for m_sends.
  mpi::SendQueue m_sends;
  std::map<std::uint64_t, std::shared_ptr<Pending>> m_waiting;
  std::uint64_t m_next_id = 1;
  bool m_finished = false;
  std::int64_t m_last_iteration = -1;
};

}  // namespace sluice::steer
