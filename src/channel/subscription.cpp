#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>

#include "../core/backoff.hpp"
#include "../core/box_copy.hpp"
#include "consumer_state.hpp"
#include "sluice/channel/consumer.hpp"

namespace sluice::channel {

using detail::WindowLayout;
using detail::Words;

// ---- Subscription ------------------------------------------------------------

Subscription::Subscription(std::unique_ptr<detail::SubscriptionState> state)
    : m_state(std::move(state)) {}

Subscription::~Subscription() = default;

const StreamInfo& Subscription::stream() const noexcept { return m_state->stream->info; }
bool Subscription::is_closed() const noexcept { return !m_state->active; }
bool Subscription::reads_in_place() const noexcept { return m_state->in_place; }
void Subscription::force_remote() noexcept { m_state->in_place = false; }
const Selection& Subscription::selection() const noexcept { return m_state->selection; }
std::size_t Subscription::blocks() const noexcept { return m_state->parts.size(); }
std::size_t Subscription::producers() const noexcept { return m_state->sources.size(); }
SubscriptionCounters Subscription::counters() const noexcept { return m_state->counters; }

std::int64_t Subscription::decided() const {
  const auto& s = *m_state;
  const Words words(*s.stream->window);
  std::int64_t decided = std::numeric_limits<std::int64_t>::max();
  for (const auto& source : s.sources) {
    const auto plus_one =
        words.load(source.world_rank, source.window_layout.control_word(detail::decided_plus_one));
    decided = std::min(decided, static_cast<std::int64_t>(plus_one) - 1);
  }
  return s.sources.empty() ? -1 : decided;
}

void Subscription::release(std::int64_t iteration) {
  auto& s = *m_state;
  if (s.held != iteration || !s.active) {
    return;
  }
  // Reads of an in-place step's data are done before the producers may reuse it.
  std::atomic_thread_fence(std::memory_order_release);
  const Words words(*s.stream->window);
  for (const auto& source : s.sources) {
    words.store(source.world_rank,
                source.window_layout.subscriber_word(source.entry, detail::released_plus_one),
                static_cast<std::uint64_t>(iteration) + 1);
  }
  s.held = -1;
}

namespace {

// "2.5"
std::string seconds_text(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

// How long a producer waited for this subscription before evicting it (reader
// leases, Policy::block); zero if none did. One atomic load per producer while none
// did.
std::chrono::milliseconds evicted_after(const detail::SubscriptionState& s) {
  const Words words(*s.stream->window);
  std::uint64_t most = 0;
  for (const auto& source : s.sources) {
    const auto& layout = source.window_layout;
    if (words.load(source.world_rank,
                   layout.subscriber_word(source.entry, detail::evicted_reader)) == s.reader) {
      most = std::max<std::uint64_t>(
          {most, 1,
           words.load(source.world_rank,
                      layout.subscriber_word(source.entry, detail::evicted_ms))});
    }
  }
  return std::chrono::milliseconds(most);
}

enum class PullResult { done, torn };

// Pulls `iteration` from `slot` of every producer: header, data, header again. The
// data is whole only if neither header changed (seqlock).
PullResult pull(detail::SubscriptionState& s, int slot, std::int64_t iteration,
                std::byte* destination) {
  const mpi::Window& window = *s.stream->window;
  const Words words(window);
  auto& before = s.before;
  before.resize(s.sources.size() * 2);
  for (std::size_t i = 0; i < s.sources.size(); ++i) {
    const auto& source = s.sources[i];
    words.load_many(source.world_rank, source.window_layout.slot_word(slot, 0), 2, &before[i * 2]);
    if (before[i * 2 + detail::seq] % 2 != 0 ||
        before[i * 2 + detail::iteration] != static_cast<std::uint64_t>(iteration)) {
      return PullResult::torn;
    }
  }
  for (const auto& part : s.parts) {
    if (part.idle) {
      continue;
    }
    const auto& source = s.sources[part.source];
    const MPI_Aint displacement = source.window_layout.slot_offset(slot) + part.box_offset_bytes;
    const int rc = part.contiguous_bytes > 0
                       ? MPI_Get(destination + part.result_offset_bytes, part.contiguous_bytes,
                                 MPI_BYTE, source.world_rank, displacement, part.contiguous_bytes,
                                 MPI_BYTE, window.get())
                       : MPI_Get(destination, 1, part.origin_type.get(), source.world_rank,
                                 displacement, 1, part.target_type.get(), window.get());
    check_mpi(rc, "MPI_Get", "pulling a block of stream '" + s.stream->info.name + "'");
  }
  window.flush_all();
  for (std::size_t i = 0; i < s.sources.size(); ++i) {
    const auto& source = s.sources[i];
    std::uint64_t after[2];
    words.load_many(source.world_rank, source.window_layout.slot_word(slot, 0), 2, after);
    if (after[0] != before[i * 2] || after[1] != before[i * 2 + 1]) {
      return PullResult::torn;
    }
  }
  return PullResult::done;
}

// Points the step's views at `slot` of every producer: nothing moves. The producers
// keep the slot until the subscription releases the iteration.
void view_in_place(detail::SubscriptionState& s, int slot) {
  // The slot heads were read with MPI atomics; the data is read with plain loads
  // after them (a barrier on weakly ordered CPUs; x86 keeps loads in order anyway).
  std::atomic_thread_fence(std::memory_order_acquire);
  // The views are overwritten in place: their extents keep their capacity, so a step
  // allocates nothing once the first has been read (a graph reads thousands per
  // iteration).
  std::size_t n = 0;
  for (const auto& part : s.parts) {
    if (part.idle) {
      continue;
    }
    if (n == s.views.size()) {
      s.views.emplace_back();
    }
    const auto& source = s.sources[part.source];
    InPlaceBlock& view = s.views[n++];
    view.data = source.mapped + source.window_layout.slot_offset(slot) + part.box_offset_bytes;
    view.count.assign(part.overlap.count.begin(), part.overlap.count.end());
    view.result_start.assign(part.overlap.result_start.begin(), part.overlap.result_start.end());
    view.world_rank = source.world_rank;
    view.block = part.block->block;
    const Extents& shape = part.layout->local_shape;
    view.strides.resize(shape.size());
    std::int64_t row_elements = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
      view.strides[d] = row_elements * s.effective.every[d];
      row_elements *= shape[d];
    }
  }
  s.views.resize(n);
}

// Clips the selection to the exposed region `region` (3 starts, 3 counts, from a slot
// head) and plans the parts for it, unless that is what they are planned for.
void plan_for_region(detail::SubscriptionState& s, const std::uint64_t* region) {
  const auto& shape = s.stream->info.global_shape;
  const std::size_t dims = shape.size();
  bool whole = true;
  for (std::size_t d = 0; d < dims; ++d) {
    whole = whole && region[d] == 0 && region[3 + d] == static_cast<std::uint64_t>(shape[d]);
  }
  if (whole && s.planned_for_whole) {
    return;
  }
  if (!whole && !s.planned_for_whole &&
      std::equal(region, region + 6, std::begin(s.planned_region))) {
    return;
  }
  std::copy(region, region + 6, std::begin(s.planned_region));
  s.planned_for_whole = whole;
  if (whole) {
    s.effective = s.selection;
  } else {
    Box exposed{Extents(dims), Extents(dims)};
    for (std::size_t d = 0; d < dims; ++d) {
      exposed.start[d] = static_cast<std::int64_t>(region[d]);
      exposed.count[d] = static_cast<std::int64_t>(region[3 + d]);
    }
    s.effective = s.selection.clip(exposed);
  }
  for (auto& part : s.parts) {
    detail::plan_part(part, s.effective, s.stream->info.dtype);
  }
}

}  // namespace

void Subscription::assemble(void* into) const {
  const auto& s = *m_state;
  const std::size_t element = dtype_size(s.stream->info.dtype);
  for (const auto& view : s.views) {
    sluice::detail::gather_box(static_cast<std::byte*>(into), s.effective.count, view.result_start,
                               static_cast<const std::byte*>(view.data), view.strides, view.count,
                               element);
  }
}

void Subscription::close() {
  auto& s = *m_state;
  if (!s.active) {
    return;
  }
  // A step still held is released with the subscription: its data() is refused from
  // now on (read in place, it would read slots the producers may reuse, or windows
  // about to be freed).
  ++s.generation;
  const Words words(*s.stream->window);
  for (const auto& source : s.sources) {
    words.store(source.world_rank,
                source.window_layout.subscriber_word(source.entry, detail::active), 0);
  }
  // The consumer takes the entries again for its next subscription to the stream;
  // the buffer goes now (the object stays, for the caller's reference), so that a
  // reader that subscribes again and again does not accumulate them.
  s.stream->retire_entries(s.sources);
  std::vector<std::byte>().swap(s.buffer);
  s.held = -1;
  s.active = false;
}

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
    return Step(this, StepStatus::error, -1, nullptr, 0,
                "the subscription is closed (Subscription::close or Consumer::close)");
  }
  if (const auto evicted = evicted_after(s); evicted.count() > 0) {
    close();
    return Step(this, StepStatus::error, -1, nullptr, 0,
                "evicted from stream '" + s.stream->info.name + "': the producers waited " +
                    seconds_text(evicted) +
                    " s for it to read on (it held, or had not read yet, an iteration they " +
                    "needed) and went on without it: the stream's reader lease ran out, or the " +
                    "simulation was stopped; "
                    "subscribe again to go on");
  }
  detail::begin_reading(*s.consumer);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto& info = s.stream->info;
  const int depth = info.options.depth;
  const Words words(*s.stream->window);
  sluice::detail::Backoff backoff(std::chrono::microseconds(200));
  try {
    for (;;) {
      // What every producer has committed, and whether it closed the stream.
      std::int64_t committed = std::numeric_limits<std::int64_t>::max();
      bool all_closed = true;
      for (const auto& source : s.sources) {
        std::uint64_t control[3];
        words.load_many(source.world_rank, source.window_layout.control_word(0), 3, control);
        committed =
            std::min(committed, static_cast<std::int64_t>(control[detail::newest_plus_one]) - 1);
        all_closed = all_closed && control[detail::closed] != 0;
      }
      // Which iteration to deliver: producers publish the same iterations in the
      // same slots, so a slot qualifies only if every producer has committed the
      // same iteration in it (under latest, a fast producer may have moved on).
      auto& heads = s.heads;
      auto& first_heads = s.first_heads;
      auto& agreed = s.agreed;
      constexpr std::size_t words_per_slot = detail::slot_words;
      heads.resize(static_cast<std::size_t>(depth) * words_per_slot);
      agreed.assign(static_cast<std::size_t>(depth), 1);
      s.latest_commit.assign(static_cast<std::size_t>(depth), 0);
      for (std::size_t p = 0; p < s.sources.size(); ++p) {
        const auto& source = s.sources[p];
        words.load_many(source.world_rank, source.window_layout.slot_word(0, 0),
                        depth * detail::slot_words, heads.data());
        if (p == 0) {
          first_heads.assign(heads.begin(), heads.end());
        }
        for (std::size_t slot = 0; slot < agreed.size(); ++slot) {
          const std::uint64_t seq = heads[slot * words_per_slot + detail::seq];
          agreed[slot] =
              static_cast<char>(agreed[slot] != 0 && seq != 0 && seq % 2 == 0 &&
                                heads[slot * words_per_slot + detail::iteration] ==
                                    first_heads[slot * words_per_slot + detail::iteration]);
          s.latest_commit[slot] =
              std::max(s.latest_commit[slot], heads[slot * words_per_slot + detail::committed_ns]);
        }
      }
      int chosen_slot = -1;
      std::int64_t chosen = -1;
      for (int slot = 0; slot < depth; ++slot) {
        const auto iteration = static_cast<std::int64_t>(
            first_heads[static_cast<std::size_t>(slot) * words_per_slot + detail::iteration]);
        if (agreed[static_cast<std::size_t>(slot)] == 0 || iteration <= s.last_delivered ||
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
        s.held_committed_ns =
            static_cast<std::int64_t>(s.latest_commit[static_cast<std::size_t>(chosen_slot)]);
        // The region the producers exposed with this iteration (steering may narrow
        // it): the selection is clipped to it, and planned again when it changed.
        plan_for_region(s, &first_heads[static_cast<std::size_t>(chosen_slot) * words_per_slot +
                                        detail::exposed_start]);
        // A selection the region leaves nothing of is still delivered, as an empty
        // step: every reader of the stream sees the same iterations, which readers
        // that reduce together (bands of one array) rely on.
        if (s.in_place) {
          view_in_place(s, chosen_slot);
          s.last_delivered = chosen;
          s.held = chosen;
          ++s.counters.delivered;
          ++s.counters.read_in_place;
          const auto elements = static_cast<std::size_t>(s.effective.elements());
          if (target != s.buffer.data()) {
            assemble(target);  // the caller asked for its own copy
            return Step(this, StepStatus::ok, chosen, target, elements, {}, true);
          }
          return Step(this, StepStatus::ok, chosen, nullptr, elements, {}, true);
        }
        if (pull(s, chosen_slot, chosen, target) == PullResult::done) {
          s.last_delivered = chosen;
          s.held = chosen;
          const auto elements = static_cast<std::size_t>(s.effective.elements());
          s.counters.bytes_pulled += elements * dtype_size(info.dtype);
          ++s.counters.delivered;
          for (const auto& part : s.parts) {
            if (!part.idle) {
              const auto& source = s.sources[part.source];
              const auto part_bytes = static_cast<std::uint64_t>(part.origin_type.size_bytes());
              words.add(source.world_rank, source.window_layout.control_word(detail::bytes_pulled),
                        part_bytes);
            }
          }
          return Step(this, StepStatus::ok, chosen, target, elements, {});
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

}  // namespace sluice::channel
