#include "sluice/channel/consumer.hpp"

#include <mpi.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <string>

#include "consumer_state.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/core/log.hpp"

namespace sluice::channel {

using detail::WindowLayout;
using detail::Words;

namespace detail {

void begin_reading(ConsumerState& consumer) {
  if (!consumer.started) {
    if (consumer.bridge != nullptr) {
      consumer.bridge->start();  // a simulation rank's half is its Bridge's start()
    } else {
      consumer.runtime->start();
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
  m_state->catalog = std::make_unique<StreamCatalog>(runtime);
  if (runtime.role() == Role::simulation) {
    throw RoleError("creating a sluice::channel::Consumer",
                    "this process is a simulation rank, which takes part in set-up through its "
                    "Bridge",
                    "on a simulation rank, create the Consumer from the rank's Bridge");
  }
  // The streams exposed during set-up are all in the catalog after this.
  runtime.finish_setup();
  discover();
  log::info("consumer ready: ", m_state->infos.size(), " stream(s) exposed");
}

Consumer::Consumer(Bridge& bridge, ConsumerOptions options)
    : m_state(std::make_unique<detail::ConsumerState>()) {
  m_state->runtime = &bridge.runtime();
  m_state->options = options;
  m_state->bridge = &bridge;
  m_state->catalog = std::make_unique<StreamCatalog>(bridge.runtime());
  // The Bridge's own streams are known here at once (the catalog may not have them
  // yet: simulation rank 0 publishes them after each expose); others come from the
  // catalog.
  for (const auto& channel : bridge.m_producer.channels()) {
    auto stream = std::make_unique<detail::ConsumedStream>();
    stream->info = channel->info();
    stream->window = &bridge.runtime().pool().window();
    m_state->infos.push_back(stream->info);
    m_state->streams.push_back(std::move(stream));
  }
}

const std::vector<StreamInfo>& Consumer::discover() {
  for (const auto& info : m_state->catalog->refresh()) {
    const bool known = std::any_of(m_state->streams.begin(), m_state->streams.end(),
                                   [&](const auto& s) { return s->info.name == info.name; });
    if (!known) {
      auto stream = std::make_unique<detail::ConsumedStream>();
      stream->info = info;
      stream->window = &m_state->runtime->pool().window();
      m_state->infos.push_back(info);
      m_state->streams.push_back(std::move(stream));
    }
  }
  return m_state->infos;
}

StreamProgress Consumer::progress(std::string_view name) const {
  const std::string asked = "reading the progress of stream '" + std::string(name) + "'";
  if (!m_state->started || m_state->closed) {
    throw StateError(asked, m_state->closed ? "the consumer is closed" : "reading has not started",
                     "call it between Consumer::start() and Consumer::close()");
  }
  const auto found = std::find_if(m_state->streams.begin(), m_state->streams.end(),
                                  [&](const auto& stream) { return stream->info.name == name; });
  if (found == m_state->streams.end()) {
    throw NotFound(asked, "no stream of that name was exposed");
  }
  return m_state->catalog->progress((*found)->info);
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
  const auto find = [&]() -> detail::ConsumedStream* {
    for (auto& candidate : m_state->streams) {
      if (candidate->info.name == name) {
        return candidate.get();
      }
    }
    return nullptr;
  };
  detail::ConsumedStream* stream = find();
  if (stream == nullptr) {
    // Streams may be exposed at any time: look at the catalog again.
    discover();
    stream = find();
  }
  if (stream == nullptr) {
    std::string known;
    for (const auto& candidate : m_state->streams) {
      known += (known.empty() ? "" : ", ") + candidate->info.name;
    }
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
  // One part per block the selection meets; one source per process producing them.
  for (const auto& producer : info.producers) {
    detail::Part part;
    part.block = &producer;
    part.layout = &producer.layout;
    detail::plan_part(part, selection, info.dtype);
    if (part.idle) {
      continue;
    }
    const auto source =
        std::find_if(state->sources.begin(), state->sources.end(),
                     [&](const auto& s) { return s.world_rank == producer.world_rank; });
    part.source = static_cast<std::size_t>(source - state->sources.begin());
    if (source == state->sources.end()) {
      detail::Source added;
      added.world_rank = producer.world_rank;
      added.window_layout = detail::window_layout_of(info, producer);
      state->sources.push_back(added);
    }
    state->parts.push_back(std::move(part));
  }
  state->effective = selection;
  // In place: the producers' slots are mapped here (a shared window), and they keep
  // the slot of a step until we release it (block and skip; under latest they do
  // not wait for anyone, so those steps are copied and checked).
  state->in_place = m_state->options.read_in_place && stream->window->is_shared() &&
                    info.options.policy != Policy::latest;
  if (state->in_place) {
    for (auto& source : state->sources) {
      source.mapped = stream->window->shared_query(source.world_rank).base;
    }
  }

  const Words words(*stream->window);
  for (auto& source : state->sources) {
    if (words.load(source.world_rank, source.window_layout.control_word(detail::closed)) != 0) {
      throw StateError(asked, "the stream is closed");
    }
  }
  // Register with every producer: from the moment an entry is active (its start and
  // released words are still 0) the producer keeps every iteration for us; the
  // newest iteration read afterwards tells which ones we can be sure to get. An entry
  // is one this consumer let go before (it is inactive, and only we may take it) or a
  // new ticket; the reader number, new for every subscription, is written last before
  // `active` (protocol.hpp says why).
  static std::uint32_t subscriptions_here = 0;  // this process's, for the reader number
  state->reader =
      (static_cast<std::uint64_t>(m_state->runtime->world_rank()) + 1) << 32 | ++subscriptions_here;
  for (auto& source : state->sources) {
    const auto& layout = source.window_layout;
    source.entry = stream->take_retired_entry(source.world_rank);
    if (source.entry < 0) {
      const std::uint64_t ticket =
          words.add(source.world_rank, layout.control_word(detail::subscribers_claimed), 1);
      if (ticket >= static_cast<std::uint64_t>(detail::max_subscribers)) {
        for (auto& claimed : state->sources) {
          if (claimed.entry >= 0) {
            words.store(claimed.world_rank,
                        claimed.window_layout.subscriber_word(claimed.entry, detail::active), 0);
          }
        }
        stream->retire_entries(state->sources);
        throw StateError(asked, "world rank " + std::to_string(source.world_rank) +
                                    " has handed out its " +
                                    std::to_string(detail::max_subscribers) +
                                    " subscriber entries for this stream (a consumer takes "
                                    "those of its closed or evicted subscriptions again, not "
                                    "other consumers')");
      }
      source.entry = static_cast<int>(ticket);
    }
    const auto word = [&](int which) { return layout.subscriber_word(source.entry, which); };
    // The votes go on from where they are: the eviction of this reader is counted by the
    // producer whose vote finds this base.
    words.store(source.world_rank, word(detail::votes_base),
                words.load(source.world_rank, word(detail::eviction_votes)));
    words.store(source.world_rank, word(detail::start), 0);
    words.store(source.world_rank, word(detail::released_plus_one), 0);
    // The same number in every producer's entry: a producer that evicts this
    // subscription finds it on the others.
    words.store(source.world_rank, word(detail::reader), state->reader);
    words.store(source.world_rank, word(detail::active), 1);
  }
  std::uint64_t first = 0;
  for (auto& source : state->sources) {
    first = std::max(first, words.load(source.world_rank,
                                       source.window_layout.control_word(detail::newest_plus_one)));
  }
  for (auto& source : state->sources) {
    const auto& layout = source.window_layout;
    words.store(source.world_rank, layout.subscriber_word(source.entry, detail::released_plus_one),
                first);
    words.store(source.world_rank, layout.subscriber_word(source.entry, detail::start), first);
  }
  state->start_iteration = static_cast<std::int64_t>(first);
  m_state->subscriptions.push_back(
      std::unique_ptr<Subscription>(new Subscription(std::move(state))));
  return *m_state->subscriptions.back();
}

Subscription& Consumer::subscribe_value_dtype(std::string_view name, Dtype dtype) {
  Subscription& subscription = subscribe_dtype(name, dtype, nullptr);
  if (!subscription.stream().is_value) {
    subscription.close();
    throw InvalidArgument(
        "subscribing to the value of stream '" + std::string(name) + "'",
        "it is an array of shape " + to_string(subscription.stream().global_shape),
        "subscribe to arrays with subscribe()");
  }
  return subscription;
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
  m_state->closed = true;
}

}  // namespace sluice::channel
