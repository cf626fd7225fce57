#include "sluice/channel/consumer.hpp"

#include <mpi.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <string>

#include "channel_state.hpp"
#include "consumer_state.hpp"
#include "setup.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/core/log.hpp"
#include "stream_window.hpp"

namespace sluice::channel {

using detail::WindowLayout;
using detail::Words;

namespace detail {

void begin_reading(ConsumerState& consumer) {
  if (!consumer.started) {
    if (consumer.bridge != nullptr) {
      consumer.bridge->start();  // a simulation rank's half is its Bridge's start()
    } else {
      consumer.runtime->world().barrier();
    }
    consumer.started = true;
  }
}

}  // namespace detail

// ---- Consumer ----------------------------------------------------------------

Consumer::Consumer(const Runtime& runtime, ConsumerOptions options)
    : m_state(std::make_unique<detail::ConsumerState>()) {
  m_state->runtime = &runtime;
  m_state->options = options;
  if (runtime.role() == Role::simulation) {
    throw RoleError("creating a sluice::channel::Consumer",
                    "this process is a simulation rank, which takes part in set-up through its "
                    "Bridge",
                    "on a simulation rank, create the Consumer from the rank's Bridge");
  }
  const auto simulation = runtime.ranks_of(Role::simulation);
  for (;;) {
    const auto outcome = detail::exchange(runtime.world(), detail::SetupRecord{}, simulation);
    if (outcome.kind == detail::SetupKind::start && outcome.error.empty()) {
      break;
    }
    if (!outcome.error.empty()) {
      log::warn("the simulation failed a set-up step: ", outcome.error);
      continue;
    }
    auto stream = std::make_unique<detail::ConsumedStream>();
    stream->info = outcome.stream;
    stream->owned_window = detail::allocate_stream_window(runtime, 0);
    stream->epoch.emplace(stream->owned_window.lock_all());
    stream->window = &stream->owned_window;
    m_state->infos.push_back(stream->info);
    m_state->streams.push_back(std::move(stream));
  }
  log::info("consumer ready: ", m_state->streams.size(), " stream(s) exposed");
}

Consumer::Consumer(Bridge& bridge, ConsumerOptions options)
    : m_state(std::make_unique<detail::ConsumerState>()) {
  m_state->runtime = &bridge.runtime();
  m_state->options = options;
  m_state->bridge = &bridge;
  for (const auto& channel : bridge.m_channels) {
    auto stream = std::make_unique<detail::ConsumedStream>();
    stream->info = channel->info();
    stream->window = &channel->m_state->window;  // read inside the Bridge's epoch
    m_state->infos.push_back(stream->info);
    m_state->streams.push_back(std::move(stream));
  }
}

Consumer::~Consumer() {
  if (m_state->closed) {
    return;
  }
  try {
    if (std::uncaught_exceptions() == 0) {
      close();
    } else {
      // Unwinding: the collective part is out of reach, but the producers can stop
      // keeping iterations for subscriptions nobody will read.
      unsubscribe_all();
    }
  } catch (const std::exception& e) {
    log::error("closing the consumer failed: ", e.what());
  }
}

const std::vector<StreamInfo>& Consumer::streams() const noexcept { return m_state->infos; }
bool Consumer::is_closed() const noexcept { return m_state->closed; }

Subscription& Consumer::subscribe_dtype(std::string_view name, Dtype dtype,
                                        const Selection* requested) {
  const std::string asked = "subscribing to stream '" + std::string(name) + "'";
  if (m_state->closed) {
    throw StateError(asked, "the consumer is closed");
  }
  detail::ConsumedStream* stream = nullptr;
  std::string known;
  for (auto& candidate : m_state->streams) {
    known += (known.empty() ? "" : ", ") + candidate->info.name;
    if (candidate->info.name == name) {
      stream = candidate.get();
    }
  }
  if (stream == nullptr) {
    throw NotFound(asked, "no stream of that name was exposed",
                   known.empty() ? "the simulation exposed no stream" : "streams: " + known);
  }
  const StreamInfo& info = stream->info;
  if (dtype != info.dtype) {
    throw InvalidArgument(asked, "asked for " + std::string(dtype_name(dtype)) +
                                     " elements; the stream carries " +
                                     std::string(dtype_name(info.dtype)));
  }
  const Selection selection =
      requested == nullptr ? Selection::all(info.global_shape) : requested->normalized();
  if (const auto problem = selection.check_against(info.global_shape); !problem.empty()) {
    throw InvalidArgument(asked, problem);
  }

  auto state = std::make_unique<detail::SubscriptionState>();
  state->consumer = m_state.get();
  state->stream = stream;
  state->selection = selection;
  const std::size_t element = dtype_size(info.dtype);
  state->buffer.resize(static_cast<std::size_t>(selection.elements()) * element);
  for (const auto& producer : info.producers) {
    detail::Part part;
    part.world_rank = producer.world_rank;
    part.layout = &producer.layout;
    part.window_layout.depth = info.options.depth;
    part.window_layout.slot_bytes =
        detail::slot_bytes_for(producer.layout.local_elements(), info.dtype);
    detail::plan_part(part, selection, info.dtype);
    if (!part.idle) {
      state->parts.push_back(std::move(part));
    }
  }
  state->effective = selection;
  // In place: the producers' slots are mapped here (a shared window), and they keep
  // the slot of a step until we release it (block and skip; under latest they do
  // not wait for anyone, so those steps are copied and checked).
  state->in_place = m_state->options.read_in_place && stream->window->is_shared() &&
                    info.options.policy != Policy::latest;
  if (state->in_place) {
    for (auto& part : state->parts) {
      part.mapped = stream->window->shared_query(part.world_rank).base;
    }
  }

  const Words words(*stream->window);
  for (auto& part : state->parts) {
    if (words.load(part.world_rank, detail::closed) != 0) {
      throw StateError(asked, "the stream is closed");
    }
  }
  // Register with every producer: from the moment an entry is active (its start and
  // released words are still 0) the producer keeps every iteration for us; the
  // newest iteration read afterwards tells which ones we can be sure to get.
  // Entries are handed out by a ticket counter, never reused: a window's words
  // then each see one kind of atomic (plus reads), which MPI's default
  // accumulate_ops=same_op_no_op requires, and no compare-and-swap is needed (a
  // 64-bit one crashes Open MPI 4.1's osc rdma over vader, ompi#11349).
  for (auto& part : state->parts) {
    const std::uint64_t ticket = words.add(part.world_rank, detail::subscribers_claimed, 1);
    if (ticket >= static_cast<std::uint64_t>(detail::max_subscribers)) {
      for (auto& claimed : state->parts) {
        if (claimed.entry >= 0) {
          words.store(claimed.world_rank,
                      WindowLayout::subscriber_word(claimed.entry, detail::active), 0);
        }
      }
      throw StateError(asked, "simulation world rank " + std::to_string(part.world_rank) +
                                  " has served " + std::to_string(detail::max_subscribers) +
                                  " subscriptions to this stream, the most it can");
    }
    part.entry = static_cast<int>(ticket);
    words.store(part.world_rank, WindowLayout::subscriber_word(part.entry, detail::active), 1);
  }
  std::uint64_t first = 0;
  for (auto& part : state->parts) {
    first = std::max(first, words.load(part.world_rank, detail::newest_plus_one));
  }
  for (auto& part : state->parts) {
    words.store(part.world_rank,
                WindowLayout::subscriber_word(part.entry, detail::released_plus_one), first);
    words.store(part.world_rank, WindowLayout::subscriber_word(part.entry, detail::start), first);
  }
  state->start_iteration = static_cast<std::int64_t>(first);
  m_state->subscriptions.push_back(
      std::unique_ptr<Subscription>(new Subscription(std::move(state))));
  return *m_state->subscriptions.back();
}

void Consumer::unsubscribe_all() {
  for (auto& subscription : m_state->subscriptions) {
    subscription->close();
  }
}

void Consumer::start() { detail::begin_reading(*m_state); }

void Consumer::close() {
  if (m_state->closed) {
    return;
  }
  detail::begin_reading(*m_state);
  unsubscribe_all();
  // Collective with Bridge::close().
  for (auto& stream : m_state->streams) {
    if (!stream->owned_window.is_null()) {
      stream->epoch.reset();
      stream->owned_window.free();
    }
  }
  m_state->closed = true;
}

}  // namespace sluice::channel
