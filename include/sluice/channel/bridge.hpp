#pragma once
/// @file
/// sluice::channel::Bridge: what a simulation uses to expose its arrays.
///
/// @code
/// sluice::mpi::Environment mpi(argc, argv);
/// sluice::Runtime runtime(sluice::Role::simulation);
/// sluice::channel::Bridge bridge(runtime);
/// auto& T = bridge.expose<double>("temperature", layout);   // collective over the simulation
/// for (std::int64_t k = 0; k <= iters; ++k) {
///   T.publish(k, field);
///   bridge.end_iteration(k);
/// }
/// bridge.close();                                           // local; runtime.free() ends the job
/// @endcode
///
/// expose() is collective over the simulation ranks only (see Producer). start()
/// (implicit at the first publish) ends the job's set-up phase, which every process
/// of the job takes part in (Runtime::start): readers subscribe before it to get
/// every iteration from the first. Readers are never waited for after set-up, except
/// by Policy::block streams.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/channel/channel.hpp"
#include "sluice/channel/options.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/steer/agent.hpp"

namespace sluice::channel {

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

  /// Exposes a stream of element type T, one block per simulation rank. Collective
  /// over the simulation ranks (all call it in the same order). Throws
  /// InvalidArgument, naming the simulation ranks involved, for overlapping blocks,
  /// gaps, blocks outside the global shape, mismatched dtypes or names; and StateError
  /// once publishing has started.
  template <typename T>
  Channel& expose(std::string_view name, const Layout& layout, ChannelOptions options = {}) {
    return expose_dtype(name, dtype_of<T>(), std::span<const Layout>(&layout, 1), options);
  }
  /// The same with several blocks on this rank (patches, chunks; none is allowed).
  template <typename T>
  Channel& expose(std::string_view name, std::span<const Layout> blocks,
                  ChannelOptions options = {}) {
    return expose_dtype(name, dtype_of<T>(), blocks, options);
  }
  Channel& expose_dtype(std::string_view name, Dtype dtype, std::span<const Layout> blocks,
                        ChannelOptions options = {});

  /// Exposes a single value per iteration (the simulation time): every simulation rank
  /// publishes it with Channel::publish_value. Collective over the simulation ranks;
  /// errors as expose().
  template <typename T>
  Channel& expose_value(std::string_view name, ChannelOptions options = {}) {
    return steered(m_producer.expose_value<T>(name, check_not_started(name, options)));
  }

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

  /// Ends the set-up phase (Runtime::start): no more streams from this Bridge.
  /// Collective over the job. Called implicitly by the first publish, slot() or
  /// end_iteration(); idempotent.
  void start();
  [[nodiscard]] bool is_started() const noexcept { return m_started; }

  /// Marks the end of an iteration. Iterations must increase. Lets MPI make progress
  /// for readers on one-sided components that need it. When the job has a service
  /// process (steering), applies the steering changes accepted since the last call,
  /// which hold from iteration + 1, and waits here while paused: then it is collective
  /// over the simulation ranks.
  void end_iteration(std::int64_t iteration);

  /// Closes every stream (readers get end_of_stream) and tells the steering services
  /// the simulation ended. Local. The streams' memory stays until Runtime::free(),
  /// which is collective over the job: readers may still read what was published.
  void close();
  [[nodiscard]] bool is_closed() const noexcept { return m_closed; }

  [[nodiscard]] const Runtime& runtime() const noexcept { return *m_runtime; }

  /// The id under which processes outside the job on this node find its streams
  /// (sluice-tap, sluice::shm::Tap): Runtime::job_id().
  [[nodiscard]] const std::string& job_id() const noexcept { return m_runtime->job_id(); }

 private:
  // Registers a new stream with steering.
  Channel& steered(Channel& channel);
  const ChannelOptions& check_not_started(std::string_view name,
                                          const ChannelOptions& options) const;
  friend class Consumer;  // a simulation rank's Consumer knows the Bridge's streams at once
  const Runtime* m_runtime;
  steer::Agent m_steering;
  Producer m_producer;
  bool m_started = false;
  bool m_closed = false;
  std::int64_t m_last_iteration = -1;
};

}  // namespace sluice::channel
