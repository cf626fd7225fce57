#include "sluice/channel/bridge.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>

#include "channel_state.hpp"
#include "external_readers.hpp"
#include "setup.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "stream_window.hpp"

namespace sluice::channel {

Bridge::Bridge(const Runtime& runtime)
    : m_runtime(&runtime),
      m_steering(runtime),
      m_external(std::make_unique<detail::ExternalReaders>()) {
  if (runtime.role() != Role::simulation) {
    throw RoleError(
        "creating a sluice::channel::Bridge",
        "this process plays the role '" + std::string(role_name(runtime.role())) + "'",
        "only simulation processes expose streams; readers use sluice::channel::Consumer");
  }
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
      for (auto& channel : m_channels) {
        channel->close();
      }
    }
  } catch (const std::exception& e) {
    log::error("closing the bridge failed: ", e.what());
  }
}

Channel& Bridge::expose_dtype(std::string_view name, Dtype dtype, const Layout& layout,
                              ChannelOptions options) {
  const std::string asked = "exposing stream '" + std::string(name) + "'";
  if (m_started) {
    throw StateError(asked, "publishing has started",
                     "expose every stream before the first publish");
  }
  // Checked locally first: every simulation rank registers the same names, so they
  // all reach the same verdict without a round trip.
  if (const auto problem = detail::check_name(name); !problem.empty()) {
    throw InvalidArgument(asked, problem);
  }
  for (const auto& channel : m_channels) {
    if (channel->info().name == name) {
      throw InvalidArgument(asked, "a stream of that name is already exposed");
    }
  }
  const auto outcome =
      detail::exchange(m_runtime->world(), detail::expose_record(name, dtype, layout, options),
                       m_runtime->ranks_of(Role::simulation));
  if (!outcome.error.empty()) {
    throw InvalidArgument(asked, outcome.error);
  }

  auto state = std::make_unique<detail::ChannelState>();
  state->bridge = this;
  state->simulation = &m_runtime->comm();
  state->info = outcome.stream;
  state->steering = &m_steering.add_stream(name, dtype, outcome.stream.global_shape);
  state->layout = layout.normalized();
  state->steering->block = state->layout.block();
  state->world_rank = m_runtime->world_rank();
  state->owns_data = state->layout.block_elements() > 0;
  state->window_layout.depth = options.depth;
  state->window_layout.slot_bytes =
      state->owns_data ? detail::slot_bytes_for(state->layout.local_elements(), dtype) : 0;
  state->window = detail::allocate_stream_window(*m_runtime, state->window_layout.window_bytes());
  // MPI does not zero window memory; readers start reading after start(), which is
  // a collective that orders these stores before their first access. Zeroing the
  // slots too faults their pages in now, not during the simulation's first
  // iterations (measured: the first publish of a 256 MiB block took 30x a memcpy).
  std::memset(state->window.base(), 0, state->window.size_bytes());
  state->epoch.emplace(state->window.lock_all());
  state->window.sync();
  // A simulation rank may subscribe through its Bridge (Consumer(Bridge&)) right after
  // exposing, claiming entries in every producer's window: no producer may still be
  // zeroing its window then, or the claims are wiped and handed out twice. (Other
  // processes subscribe only after start, which every producer reaches after this.)
  m_runtime->comm().barrier();
  state->slot_iteration.assign(static_cast<std::size_t>(options.depth), -1);
  state->slot_seq.assign(static_cast<std::size_t>(options.depth), 0);
  m_channels.push_back(std::unique_ptr<Channel>(new Channel(std::move(state))));
  log::info("exposed stream '", name, "' (", dtype_name(dtype), ", ",
            to_string(outcome.stream.global_shape), ", depth ", options.depth, ", ",
            policy_name(options.policy), ")");
  return *m_channels.back();
}

const std::string& Bridge::job_id() const noexcept { return m_external->job(); }

Channel& Bridge::channel(std::string_view name) {
  for (const auto& channel : m_channels) {
    if (channel->info().name == name) {
      return *channel;
    }
  }
  throw NotFound("looking up stream '" + std::string(name) + "'",
                 "no stream of that name was exposed");
}

void Bridge::start() {
  if (m_started) {
    return;
  }
  if (m_closed) {
    throw StateError("starting the bridge", "it is closed");
  }
  const auto outcome = detail::exchange(m_runtime->world(), detail::start_record(),
                                        m_runtime->ranks_of(Role::simulation));
  if (!outcome.error.empty()) {
    throw InvalidArgument("starting to publish", outcome.error);
  }
  // Each node's leader makes the segments for readers outside the job before the
  // barrier; the producers open them after it.
  std::vector<const StreamInfo*> infos;
  std::vector<detail::ChannelState*> states;
  for (auto& channel : m_channels) {
    infos.push_back(&channel->info());
    states.push_back(channel->m_state.get());
  }
  m_external->prepare(*m_runtime, infos);
  // Readers subscribe between the two halves (see Consumer::start), so that they
  // can get every iteration from the first.
  m_runtime->world().barrier();
  m_external->attach(states);
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
  start();  // readers still in set-up must leave it before the windows go
  m_steering.close();
  for (auto& channel : m_channels) {
    channel->close();
  }
  // Freeing is collective with Consumer::close(): it returns once every reader is done.
  for (auto& channel : m_channels) {
    auto& state = *channel->m_state;
    state.bytes_pulled_at_close = channel->counters().bytes_pulled;
    state.epoch.reset();
    state.window.free();
  }
  m_external->finish();
  m_closed = true;
}

}  // namespace sluice::channel
