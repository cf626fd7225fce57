#include "sluice/channel/consumer.hpp"

#include "sluice/channel/bridge.hpp"

#include <mpi.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>
#include <thread>
#include <utility>

#include "backoff.hpp"
#include "channel_state.hpp"
#include "protocol.hpp"
#include "setup.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/datatype.hpp"
#include "sluice/mpi/window.hpp"

namespace sluice::channel {

using detail::WindowLayout;
using detail::Words;

namespace detail {

struct ConsumedStream {
  StreamInfo info;
  const mpi::Window* window = nullptr;  // owned_window, or the Bridge's on a simulation rank
  mpi::Window owned_window;
  std::optional<mpi::LockAllEpoch> epoch;
};

// The part of a selection one producer block provides.
struct Part {
  int world_rank = 0;
  int entry = -1;              // this subscription's row in the producer's subscriber table
  WindowLayout window_layout;  // of this producer's window (slot sizes differ by rank)
  Overlap overlap;
  MPI_Aint box_offset_bytes = 0;  // first selected element, inside a slot
  mpi::Datatype target_type;      // the strided box in the producer's local buffer
  mpi::Datatype origin_type;      // where it lands in the row-major result
  // When the box is one contiguous run on both sides: its bytes and where it lands
  // in the result; the pull then moves plain bytes (measured faster than the same
  // layout described by derived datatypes with Open MPI's osc sm).
  int contiguous_bytes = 0;
  MPI_Aint result_offset_bytes = 0;
};

struct ConsumerState;

struct SubscriptionState {
  ConsumerState* consumer = nullptr;
  ConsumedStream* stream = nullptr;
  Selection selection;
  std::vector<Part> parts;
  std::vector<std::byte> buffer;
  std::int64_t start_iteration = 0;
  std::int64_t last_delivered = -1;
  std::int64_t held = -1;        // iteration of the step not yet released
  std::uint64_t generation = 0;  // counts next() calls; a Step is valid for one
  SubscriptionCounters counters;
  bool active = true;
};

struct ConsumerState {
  const Runtime* runtime = nullptr;
  Bridge* bridge = nullptr;  // set on a simulation rank, which reads through its Bridge
  std::vector<std::unique_ptr<ConsumedStream>> streams;
  std::vector<StreamInfo> infos;
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  bool started = false;
  bool closed = false;
};

// The second half of Bridge::start(): subscriptions made before it get every
// iteration from the first one published.
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

std::string_view step_status_name(StepStatus status) noexcept {
  switch (status) {
    case StepStatus::ok:
      return "ok";
    case StepStatus::not_ready:
      return "not_ready";
    case StepStatus::end_of_stream:
      return "end_of_stream";
    case StepStatus::error:
      return "error";
  }
  return "unknown";
}

// ---- Step --------------------------------------------------------------------

Step::Step(Subscription* owner, StepStatus status, std::int64_t iteration, const void* data,
           std::size_t elements, std::string error)
    : m_owner(owner),
      m_generation(owner->m_state->generation),
      m_status(status),
      m_iteration(iteration),
      m_data(data),
      m_elements(elements),
      m_error(std::move(error)) {}

Step::Step(Step&& other) noexcept
    : m_owner(std::exchange(other.m_owner, nullptr)),
      m_released(std::exchange(other.m_released, true)),
      m_generation(other.m_generation),
      m_status(other.m_status),
      m_iteration(other.m_iteration),
      m_data(other.m_data),
      m_elements(other.m_elements),
      m_error(std::move(other.m_error)) {}

Step& Step::operator=(Step&& other) noexcept {
  if (this != &other) {
    release();
    m_owner = std::exchange(other.m_owner, nullptr);
    m_released = std::exchange(other.m_released, true);
    m_generation = other.m_generation;
    m_status = other.m_status;
    m_iteration = other.m_iteration;
    m_data = other.m_data;
    m_elements = other.m_elements;
    m_error = std::move(other.m_error);
  }
  return *this;
}

Step::~Step() {
  try {
    release();
  } catch (const std::exception& e) {
    log::error("releasing iteration ", m_iteration, " failed: ", e.what());
  }
}

const Extents& Step::shape() const noexcept {
  static const Extents none;
  return m_owner != nullptr ? m_owner->selection().count : none;
}

void Step::release() {
  if (m_owner != nullptr && !m_released && m_status == StepStatus::ok) {
    m_owner->release(m_iteration);
  }
  m_released = true;
}

void Step::check_type(Dtype asked) const {
  if (m_status != StepStatus::ok) {
    throw StateError("reading a step's data",
                     "the step's status is " + std::string(step_status_name(m_status)));
  }
  if (m_owner == nullptr || m_released || m_owner->m_state->generation != m_generation) {
    throw StateError("reading the data of iteration " + std::to_string(m_iteration),
                     "the step was released (by release(), or by the next call to next())",
                     "keep the Step until you are done with its data");
  }
  const Dtype actual = m_owner->stream().dtype;
  if (asked != actual) {
    throw InvalidArgument("reading " + std::string(dtype_name(asked)) + " data of stream '" +
                              m_owner->stream().name + "'",
                          "the stream carries " + std::string(dtype_name(actual)));
  }
}

// ---- Subscription ------------------------------------------------------------

Subscription::Subscription(std::unique_ptr<detail::SubscriptionState> state)
    : m_state(std::move(state)) {}

Subscription::~Subscription() = default;

const StreamInfo& Subscription::stream() const noexcept { return m_state->stream->info; }
const Selection& Subscription::selection() const noexcept { return m_state->selection; }
std::size_t Subscription::blocks() const noexcept { return m_state->parts.size(); }
SubscriptionCounters Subscription::counters() const noexcept { return m_state->counters; }

void Subscription::release(std::int64_t iteration) {
  auto& s = *m_state;
  if (s.held != iteration || !s.active) {
    return;
  }
  const Words words(*s.stream->window);
  for (const auto& part : s.parts) {
    words.store(part.world_rank,
                WindowLayout::subscriber_word(part.entry, detail::released_plus_one),
                static_cast<std::uint64_t>(iteration) + 1);
  }
  s.held = -1;
}

namespace {

// Whether a box of `count` elements (stride `every`; empty means 1) inside a
// row-major array of `shape` is one contiguous run of memory: unit strides, and
// below its outermost dimension with more than one element it spans whole rows.
bool is_contiguous_run(const Extents& shape, const Extents& count, const Extents& every) {
  bool inner_dimension_seen = false;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const bool unit_stride = every.empty() || every[d] == 1;
    if (inner_dimension_seen && (count[d] != shape[d] || !unit_stride)) {
      return false;
    }
    if (count[d] > 1) {
      if (!unit_stride) {
        return false;
      }
      inner_dimension_seen = true;
    }
  }
  return true;
}

enum class PullResult { done, torn };

// Pulls `iteration` from `slot` of every producer: header, data, header again. The
// data is whole only if neither header changed (seqlock).
PullResult pull(detail::SubscriptionState& s, int slot, std::int64_t iteration,
                std::byte* destination) {
  const mpi::Window& window = *s.stream->window;
  const Words words(window);
  std::vector<std::uint64_t> before(s.parts.size() * 2);
  for (std::size_t i = 0; i < s.parts.size(); ++i) {
    words.load_many(s.parts[i].world_rank, WindowLayout::slot_word(slot, 0), 2, &before[i * 2]);
    if (before[i * 2 + detail::seq] % 2 != 0 ||
        before[i * 2 + detail::iteration] != static_cast<std::uint64_t>(iteration)) {
      return PullResult::torn;
    }
  }
  for (const auto& part : s.parts) {
    const MPI_Aint displacement = part.window_layout.slot_offset(slot) + part.box_offset_bytes;
    const int rc =
        part.contiguous_bytes > 0
            ? MPI_Get(destination + part.result_offset_bytes, part.contiguous_bytes, MPI_BYTE,
                      part.world_rank, displacement, part.contiguous_bytes, MPI_BYTE, window.get())
            : MPI_Get(destination, 1, part.origin_type.get(), part.world_rank, displacement, 1,
                      part.target_type.get(), window.get());
    check_mpi(rc, "MPI_Get", "pulling a block of stream '" + s.stream->info.name + "'");
  }
  window.flush_all();
  for (std::size_t i = 0; i < s.parts.size(); ++i) {
    std::uint64_t after[2];
    words.load_many(s.parts[i].world_rank, WindowLayout::slot_word(slot, 0), 2, after);
    if (after[0] != before[i * 2] || after[1] != before[i * 2 + 1]) {
      return PullResult::torn;
    }
  }
  return PullResult::done;
}

}  // namespace

Step Subscription::next(std::chrono::milliseconds timeout) {
  return next_into(timeout, m_state->buffer.data());
}

void Subscription::check_destination(Dtype dtype, std::size_t elements) const {
  const auto& s = *m_state;
  const std::string asked = "pulling stream '" + s.stream->info.name + "' into a caller's buffer";
  if (dtype != s.stream->info.dtype) {
    throw InvalidArgument(asked, "the buffer holds " + std::string(dtype_name(dtype)) +
                                     "; the stream carries " +
                                     std::string(dtype_name(s.stream->info.dtype)));
  }
  if (elements != static_cast<std::size_t>(s.selection.elements())) {
    throw InvalidArgument(asked, "the buffer has " + std::to_string(elements) +
                                     " elements; the selection has " +
                                     std::to_string(s.selection.elements()));
  }
}

Step Subscription::next_into(std::chrono::milliseconds timeout, void* destination) {
  auto& s = *m_state;
  auto* target = static_cast<std::byte*>(destination);
  if (s.held >= 0) {
    release(s.held);
  }
  ++s.generation;
  if (!s.active) {
    return Step(this, StepStatus::error, -1, nullptr, 0, "the consumer is closed");
  }
  detail::begin_reading(*s.consumer);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto& info = s.stream->info;
  const int depth = info.options.depth;
  const Words words(*s.stream->window);
  detail::Backoff backoff(std::chrono::microseconds(200));
  try {
    for (;;) {
      // What every producer has committed, and whether it closed the stream.
      std::int64_t committed = std::numeric_limits<std::int64_t>::max();
      bool all_closed = true;
      for (const auto& part : s.parts) {
        std::uint64_t control[3];
        words.load_many(part.world_rank, 0, 3, control);
        committed =
            std::min(committed, static_cast<std::int64_t>(control[detail::newest_plus_one]) - 1);
        all_closed = all_closed && control[detail::closed] != 0;
      }
      // Which iteration to deliver: producers publish the same iterations in the
      // same slots, so a slot qualifies only if every producer has committed the
      // same iteration in it (under latest, a fast producer may have moved on).
      std::vector<std::uint64_t> heads(static_cast<std::size_t>(depth) * 2);
      std::vector<bool> agreed(static_cast<std::size_t>(depth), true);
      std::vector<std::uint64_t> first_heads;
      for (const auto& part : s.parts) {
        words.load_many(part.world_rank, WindowLayout::slot_word(0, 0), depth * 2, heads.data());
        if (first_heads.empty()) {
          first_heads = heads;
        }
        for (std::size_t slot = 0; slot < agreed.size(); ++slot) {
          const std::uint64_t seq = heads[slot * 2 + detail::seq];
          agreed[slot] =
              agreed[slot] && seq != 0 && seq % 2 == 0 &&
              heads[slot * 2 + detail::iteration] == first_heads[slot * 2 + detail::iteration];
        }
      }
      int chosen_slot = -1;
      std::int64_t chosen = -1;
      for (int slot = 0; slot < depth; ++slot) {
        const auto iteration = static_cast<std::int64_t>(
            first_heads[static_cast<std::size_t>(slot) * 2 + detail::iteration]);
        if (!agreed[static_cast<std::size_t>(slot)] || iteration <= s.last_delivered ||
            iteration < s.start_iteration || iteration > committed) {
          continue;
        }
        const bool better =
            chosen < 0 ||
            (info.options.policy == Policy::latest ? iteration > chosen : iteration < chosen);
        if (better) {
          chosen = iteration;
          chosen_slot = slot;
        }
      }
      if (chosen >= 0) {
        if (pull(s, chosen_slot, chosen, target) == PullResult::done) {
          s.last_delivered = chosen;
          s.held = chosen;
          const auto bytes = s.buffer.size();
          s.counters.bytes_pulled += bytes;
          ++s.counters.delivered;
          for (const auto& part : s.parts) {
            const auto part_bytes = static_cast<std::uint64_t>(part.origin_type.size_bytes());
            words.add(part.world_rank, detail::bytes_pulled, part_bytes);
          }
          return Step(this, StepStatus::ok, chosen, target,
                      static_cast<std::size_t>(s.selection.elements()), {});
        }
        // Overtaken by the producer: look again, but within the deadline.
        ++s.counters.torn_reads;
      } else if (all_closed) {
        return Step(this, StepStatus::end_of_stream, -1, nullptr, 0, {});
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return Step(this, StepStatus::not_ready, -1, nullptr, 0, {});
      }
      backoff.wait();
    }
  } catch (const Error& e) {
    return Step(this, StepStatus::error, -1, nullptr, 0, e.what());
  }
}

// ---- Consumer ----------------------------------------------------------------

Consumer::Consumer(const Runtime& runtime) : m_state(std::make_unique<detail::ConsumerState>()) {
  m_state->runtime = &runtime;
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
    stream->owned_window = mpi::Window::allocate(runtime.world(), 0);
    stream->epoch.emplace(stream->owned_window.lock_all());
    stream->window = &stream->owned_window;
    m_state->infos.push_back(stream->info);
    m_state->streams.push_back(std::move(stream));
  }
  log::info("consumer ready: ", m_state->streams.size(), " stream(s) exposed");
}

Consumer::Consumer(Bridge& bridge) : m_state(std::make_unique<detail::ConsumerState>()) {
  m_state->runtime = &bridge.runtime();
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
  const MPI_Datatype mpi_element = detail::mpi_type_of(info.dtype);
  std::vector<int> result_shape(selection.count.begin(), selection.count.end());
  for (const auto& producer : info.producers) {
    detail::Part part;
    part.overlap = intersect(selection, producer.layout);
    if (part.overlap.count.empty()) {
      continue;
    }
    part.world_rank = producer.world_rank;
    part.window_layout.depth = info.options.depth;
    part.window_layout.slot_bytes =
        detail::slot_bytes_for(producer.layout.local_elements(), info.dtype);
    std::int64_t offset = 0;
    for (std::size_t d = 0; d < selection.start.size(); ++d) {
      offset = offset * producer.layout.local_shape[d] + part.overlap.local_start[d];
    }
    part.box_offset_bytes = static_cast<MPI_Aint>(offset) * static_cast<MPI_Aint>(element);
    part.target_type = mpi::Datatype::strided_box(producer.layout.local_shape, part.overlap.count,
                                                  selection.every, mpi_element);
    std::vector<int> count(part.overlap.count.begin(), part.overlap.count.end());
    std::vector<int> start(part.overlap.result_start.begin(), part.overlap.result_start.end());
    part.origin_type = mpi::Datatype::subarray(result_shape, count, start, mpi_element);
    const auto bytes = part.origin_type.size_bytes();
    if (is_contiguous_run(producer.layout.local_shape, part.overlap.count, selection.every) &&
        is_contiguous_run(selection.count, part.overlap.count, {}) &&
        bytes <= std::numeric_limits<int>::max()) {
      part.contiguous_bytes = static_cast<int>(bytes);
      std::int64_t result_offset = 0;
      for (std::size_t d = 0; d < selection.count.size(); ++d) {
        result_offset = result_offset * selection.count[d] + part.overlap.result_start[d];
      }
      part.result_offset_bytes =
          static_cast<MPI_Aint>(result_offset) * static_cast<MPI_Aint>(element);
    }
    state->parts.push_back(std::move(part));
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
  if (m_state->bridge != nullptr && m_state->bridge->is_closed()) {
    return;  // the windows are gone, and with them every subscription
  }
  for (auto& subscription : m_state->subscriptions) {
    auto& s = *subscription->m_state;
    if (!s.active) {
      continue;
    }
    const Words words(*s.stream->window);
    for (const auto& part : s.parts) {
      words.store(part.world_rank, WindowLayout::subscriber_word(part.entry, detail::active), 0);
    }
    s.active = false;
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
