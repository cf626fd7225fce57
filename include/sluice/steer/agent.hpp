#pragma once
/// @file
/// sluice::steer::Agent: the simulation's side of steering. Users reach it through
/// their Bridge (bridge.param<T>(), bridge.stop_requested()); it is public so that a
/// simulation without streams can steer too.
///
/// Simulation rank 0 receives the requests of the job's service processes (where the
/// steering server runs) and, at each end_iteration(k), broadcasts the changes it
/// accepted to every simulation rank; every rank applies them there, so each change
/// holds from iteration k+1 on every rank, and that is the iteration the request is
/// answered with. Read-only requests and refused changes are answered at once, without
/// involving the other ranks. A paused simulation waits inside end_iteration() for
/// resume or stop, without spinning a core.
///
/// In a job without a service process, end_iteration() costs nothing: there is nobody
/// to steer from. With one, it is one small broadcast over the simulation ranks per
/// iteration.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/core/dtype.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/steer/exposure_table.hpp"
#include "sluice/steer/param.hpp"
#include "sluice/steer/param_table.hpp"
#include "sluice/steer/stream_control.hpp"

namespace sluice::steer {

namespace detail {
class RequestServer;
}  // namespace detail

/// Composes the simulation's parameter table, its exposure table and (on simulation
/// rank 0 of a job with a service process) the request server, and runs the
/// per-iteration broadcast, pause and close. Not copyable or movable: channels hold
/// the addresses of its streams.
///
/// @code
/// sluice::steer::Agent steering(runtime);               // a simulation process's runtime
/// auto dt = steering.add<double>("dt", 0.2, {.min = 0.0});
/// steering.start();                                     // collective
/// for (std::int64_t k = 0; !steering.stop_requested(); ++k) {
///   step(dt.value());
///   steering.end_iteration(k);                          // collective when enabled()
/// }
/// steering.close();
/// @endcode
class Agent {
 public:
  /// Local. `runtime` must be a simulation process's and outlive the agent.
  explicit Agent(const Runtime& runtime);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent();

  /// Registers a parameter; every simulation rank registers the same ones, in the same
  /// order, before start(). InvalidArgument for an empty or duplicate name, a default
  /// outside the bounds, min > max, bounds on a flag or a NaN; StateError after start().
  /// Local.
  template <typename T>
  Param<T> add(std::string_view name, T initial, const ParamSpec<T>& spec = {}) {
    static_assert(is_parameter_type_v<T>, "parameters are double, std::int64_t or bool");
    ParamEntry entry;
    entry.name = std::string(name);
    entry.value = initial;
    entry.type = type_of(entry.value);
    if (spec.min) {
      entry.min = Value(*spec.min);
    }
    if (spec.max) {
      entry.max = Value(*spec.max);
    }
    entry.doc = spec.doc;
    return Param<T>(&add_entry(std::move(entry)));
  }

  /// Registers an exposed stream, so that clients can change its exposure (and inject
  /// into it once the simulation accepts injections). Called by Bridge::expose; the
  /// entry lives as long as the agent. StateError after start(). Local.
  SteeredStream& add_stream(std::string_view name, Dtype dtype, Extents shape);

  /// Ends registration. Collective over the simulation ranks; InvalidArgument on every
  /// rank if they registered different parameters.
  void start();

  /// Applies the changes accepted since the previous call (collective over the
  /// simulation ranks when steering is enabled); blocks while paused.
  void end_iteration(std::int64_t iteration);

  /// What a producer of the simulation's streams calls while it waits on a reader
  /// (Policy::block), `waiting` saying on what: on rank 0, answers the requests that
  /// arrived (status says what the simulation waits on) and keeps the accepted changes
  /// for the next end_iteration(), where every rank applies them. Returns whether a
  /// stop was accepted: the wait gives way to it. Local.
  bool wait_on(std::string_view waiting);
  /// Tells the service processes that the simulation has finished; requests still
  /// waiting are answered so. Local (rank 0 sends).
  void close();

  /// Whether a stop was applied: leave the time loop and close the bridge.
  [[nodiscard]] bool stop_requested() const noexcept { return m_stop; }
  [[nodiscard]] bool paused() const noexcept { return m_paused; }
  /// Whether the job has a service process to steer from.
  [[nodiscard]] bool enabled() const noexcept { return !m_services.empty(); }
  [[nodiscard]] std::span<const std::unique_ptr<ParamEntry>> params() const noexcept {
    return m_params.entries();
  }
  [[nodiscard]] std::span<const std::unique_ptr<SteeredStream>> streams() const noexcept {
    return m_streams.streams();
  }
  [[nodiscard]] const ParamTable& param_table() const noexcept { return m_params; }
  [[nodiscard]] const ExposureTable& exposure_table() const noexcept { return m_streams; }

 private:
  ParamEntry& add_entry(ParamEntry entry);
  void require_not_started(const std::string& asked, std::string_view remedy) const;
  // Collective: rank 0's batch of accepted changes to every simulation rank.
  void broadcast(std::string& batch);
  // Every rank: the changes of a batch, holding from `from_iteration`.
  void apply(std::string_view batch, std::int64_t from_iteration);

  const Runtime* m_runtime;
  bool m_root;
  std::vector<int> m_services;
  ParamTable m_params;
  ExposureTable m_streams;
  std::unique_ptr<detail::RequestServer> m_server;  // rank 0 of a steerable job only
  bool m_started = false;
  bool m_closed = false;
  bool m_paused = false;
  bool m_stop = false;
  std::int64_t m_iteration = -1;
  std::string m_pending;  // changes accepted while waiting on a reader (rank 0)
  bool m_stop_pending = false;
};

}  // namespace sluice::steer
