#include "sluice/channel/bridge.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>

#include "channel_state.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"

namespace sluice::channel {

Bridge::Bridge(const Runtime& runtime)
    : m_runtime(&runtime), m_steering(runtime), m_producer(runtime, runtime.comm()) {
  if (runtime.role() != Role::simulation) {
    throw RoleError("creating a sluice::channel::Bridge",
                    "this process plays the role '" + std::string(role_name(runtime.role())) + "'",
                    "a Bridge is the simulation's; other roles expose streams with "
                    "sluice::channel::Producer and read them with sluice::channel::Consumer");
  }
  m_producer.set_start([this] { start(); });
}

Bridge::~Bridge() {
  if (m_closed) {
    return;
  }
  try {
    if (std::uncaught_exceptions() == 0) {
      close();
    } else {
      // Unwinding: the collective part is out of reach, but readers can still be
      // told that nothing more comes, so they see end of stream instead of waiting.
      m_producer.close();
    }
  } catch (const std::exception& e) {
    log::error("closing the bridge failed: ", e.what());
  }
}

const ChannelOptions& Bridge::check_not_started(std::string_view name,
                                                const ChannelOptions& options) const {
  if (m_started) {
    throw StateError("exposing stream '" + std::string(name) + "'", "publishing has started",
                     "expose every stream before the first publish");
  }
  return options;
}

Channel& Bridge::expose_dtype(std::string_view name, Dtype dtype, std::span<const Layout> blocks,
                              ChannelOptions options) {
  return steered(m_producer.expose_dtype(name, dtype, blocks, check_not_started(name, options)));
}

Channel& Bridge::steered(Channel& channel) {
  auto& state = *channel.m_state;
  const std::string& name = state.info.name;
  const Dtype dtype = state.info.dtype;
  // Steering changes the exposure of the simulation's streams and injects into them.
  state.steering = &m_steering.add_stream(name, dtype, state.info.global_shape);
  if (state.blocks.size() == 1) {
    state.steering->block = state.blocks.front().layout.block();
  }
  // While a publish waits on a reader, the operator is still served.
  state.while_waiting = [this](std::string_view waiting) { return m_steering.wait_on(waiting); };
  return channel;
}

Channel& Bridge::channel(std::string_view name) { return m_producer.channel(name); }

void Bridge::start() {
  if (m_started) {
    return;
  }
  if (m_closed) {
    throw StateError("starting the bridge", "it is closed");
  }
  // Every simulation rank exposed the same streams (each expose was checked
  // together), so they all end set-up here with the same list. Readers subscribe
  // between the two halves (see Consumer::start), so that they can get every
  // iteration from the first.
  m_runtime->finish_setup();
  m_runtime->start();
  m_started = true;
  m_steering.start();
}

void Bridge::end_iteration(std::int64_t iteration) {
  if (iteration <= m_last_iteration) {
    throw InvalidArgument(
        "ending iteration " + std::to_string(iteration),
        "iterations must increase; the last one was " + std::to_string(m_last_iteration));
  }
  m_last_iteration = iteration;
  start();
  // Some one-sided components (osc pt2pt) only progress inside MPI calls; this
  // cheap probe gives readers' requests a chance once per iteration.
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, m_runtime->world().get(), &flag, MPI_STATUS_IGNORE);
  m_steering.end_iteration(iteration);
}

void Bridge::close() {
  if (m_closed) {
    return;
  }
  start();  // readers still in set-up must leave it
  m_steering.close();
  m_producer.close();
  m_closed = true;
}

}  // namespace sluice::channel
