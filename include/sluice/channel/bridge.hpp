#pragma once
/// @file
/// sluice::channel::Bridge: what a simulation uses to expose its arrays.
///
/// @code
/// sluice::mpi::Environment mpi(argc, argv);
/// sluice::Runtime runtime(sluice::Role::simulation);
/// sluice::channel::Bridge bridge(runtime);
/// auto& T = bridge.expose<double>("temperature", layout);   // collective over the job
/// for (std::int64_t k = 0; k <= iters; ++k) {
///   T.publish(k, field);
///   bridge.end_iteration(k);
/// }
/// bridge.close();                                           // collective over the job
/// @endcode
///
/// Set-up is a job-wide phase: each expose() and start() (implicit at the first
/// publish) is collective over the simulation ranks *and* every other process of the
/// job, which meet it in their own set-up call (Consumer's constructor). Readers are
/// never waited for after set-up, except by Policy::block streams.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/channel/channel.hpp"
#include "sluice/channel/options.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/steer/agent.hpp"

namespace sluice::channel {

namespace detail {
class ExternalReaders;
}

class Bridge {
 public:
  /// Local. `runtime` must be a simulation process's runtime and outlive the bridge.
  explicit Bridge(const Runtime& runtime);
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;
  Bridge(Bridge&&) = delete;
  Bridge& operator=(Bridge&&) = delete;
  /// Closes the bridge if close() was not called, unless an exception is unwinding.
  ~Bridge();

  /// Exposes a stream of element type T. Collective over the job (all simulation
  /// ranks call it in the same order; other processes are in their set-up call).
  /// Throws InvalidArgument, naming the simulation ranks involved, for overlapping
  /// blocks, gaps, blocks outside the global shape, mismatched dtypes or names; and
  /// StateError once publishing has started.
  template <typename T>
  Channel& expose(std::string_view name, const Layout& layout, ChannelOptions options = {}) {
    return expose_dtype(name, dtype_of<T>(), layout, options);
  }
  Channel& expose_dtype(std::string_view name, Dtype dtype, const Layout& layout,
                        ChannelOptions options = {});

  /// Registers a steerable parameter (see sluice/steer/param.hpp): every simulation
  /// rank registers the same ones in the same order, before start(). Its value changes
  /// only inside end_iteration(), at the same iteration on every rank. Local; errors
  /// as steer::Agent::add.
  template <typename T>
  steer::Param<T> param(std::string_view name, T initial, const steer::ParamSpec<T>& spec = {}) {
    return m_steering.add<T>(name, initial, spec);
  }

  /// Whether a steering client asked the simulation to stop (applied on every rank at
  /// the same iteration): leave the time loop and close().
  [[nodiscard]] bool stop_requested() const noexcept { return m_steering.stop_requested(); }

  /// The simulation's steering: parameters, pause and stop state.
  [[nodiscard]] const steer::Agent& steering() const noexcept { return m_steering; }

  /// The channel of an exposed stream; NotFound if there is none. Local.
  [[nodiscard]] Channel& channel(std::string_view name);

  /// Ends the set-up phase: no more streams. Collective over the job. Called
  /// implicitly by the first publish, slot() or end_iteration(); idempotent.
  void start();
  [[nodiscard]] bool is_started() const noexcept { return m_started; }

  /// Marks the end of an iteration. Iterations must increase. Lets MPI make progress
  /// for readers on one-sided components that need it. When the job has a service
  /// process (steering), applies the steering changes accepted since the last call,
  /// which hold from iteration + 1, and waits here while paused: then it is collective
  /// over the simulation ranks.
  void end_iteration(std::int64_t iteration);

  /// Closes every stream (readers get end_of_stream) and releases the windows once
  /// every reader has closed its Consumer. Collective over the job.
  void close();
  [[nodiscard]] bool is_closed() const noexcept { return m_closed; }

  [[nodiscard]] const Runtime& runtime() const noexcept { return *m_runtime; }

  /// The id under which processes outside the job on this node find its streams
  /// (sluice-tap, sluice::shm::Tap); empty before start() or when turned off with
  /// SLUICE_EXTERNAL_READERS=off.
  [[nodiscard]] const std::string& job_id() const noexcept;

 private:
  friend class Consumer;  // a simulation rank reads through its Bridge's windows
  const Runtime* m_runtime;
  steer::Agent m_steering;
  std::vector<std::unique_ptr<Channel>> m_channels;
  std::unique_ptr<detail::ExternalReaders> m_external;
  bool m_started = false;
  bool m_closed = false;
  std::int64_t m_last_iteration = -1;
};

}  // namespace sluice::channel
