#include "sluice/channel/channel.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "../core/backoff.hpp"
#include "../core/box_copy.hpp"
#include "channel_state.hpp"
#include "eviction.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"

namespace sluice::channel {

using detail::ChannelState;
using detail::WindowLayout;
using detail::Words;

namespace {

// Where an iteration that readers will not see is computed: two scratch buffers in
// turn, so that a simulation computing iteration k from k-1 in place does not get the
// buffer holding k-1 when both are dropped.
std::byte* scratch_buffer(ChannelState& s) {
  auto& scratch = s.scratch[s.next_scratch];
  s.next_scratch ^= 1;
  scratch.resize(std::max<std::size_t>(s.window_layout.slot_bytes, 1));
  return scratch.data();
}

// Whether a subscriber still holds `old`, the iteration a slot is about to lose;
// also tracks the largest lag seen.
bool slot_is_held(const ChannelState& s, std::int64_t old, std::uint64_t& max_lag) {
  // Only the entries handed out so far: nothing more than one atomic load while nobody
  // subscribes, and no more words than there are subscribers.
  std::uint64_t table[detail::max_subscribers * detail::subscriber_words];
  const int claimed =
      detail::load_subscribers(Words(*s.window), s.world_rank, s.window_layout, table);
  bool held = false;
  for (int e = 0; e < claimed; ++e) {
    const std::uint64_t* entry = table + e * detail::subscriber_words;
    if (!detail::entry_reads(entry)) {
      continue;
    }
    const auto released_plus_one = static_cast<std::int64_t>(entry[detail::released_plus_one]);
    if (s.last_iteration >= released_plus_one) {
      max_lag = std::max<std::uint64_t>(
          max_lag, static_cast<std::uint64_t>(s.last_iteration + 1 - released_plus_one));
    }
    held = held || detail::entry_holds(entry, old);
  }
  return held;
}

}  // namespace

Channel::Channel(std::unique_ptr<ChannelState> state) : m_state(std::move(state)) {}

Channel::~Channel() = default;

const StreamInfo& Channel::info() const noexcept { return m_state->info; }
std::size_t Channel::blocks() const noexcept { return m_state->blocks.size(); }

const Layout& Channel::layout(std::size_t block) const {
  if (block >= m_state->blocks.size()) {
    throw InvalidArgument(
        "the layout of block " + std::to_string(block) + " of stream '" + m_state->info.name + "'",
        "this rank has " + std::to_string(m_state->blocks.size()) + " block(s)");
  }
  return m_state->blocks[block].layout;
}

void Channel::check_value() const {
  if (!m_state->info.is_value) {
    throw InvalidArgument(
        "publishing a single value on stream '" + m_state->info.name + "'",
        "the stream is an array of shape " + to_string(m_state->info.global_shape),
        "publish an array with publish(), or expose it with expose_value()");
  }
}

void Channel::check_blocks(std::size_t given) const {
  const std::size_t mine = m_state->blocks.size();
  if (given != mine && !(given == 1 && mine == 0)) {
    throw InvalidArgument("publishing stream '" + m_state->info.name + "' with " +
                              std::to_string(given) + " buffer(s)",
                          "this rank exposed " + std::to_string(mine) + " block(s)",
                          "give one buffer per block, in the order they were exposed");
  }
}
bool Channel::is_closed() const noexcept { return m_state->closed; }

void Channel::check_type(Dtype asked) const {
  if (asked != m_state->info.dtype) {
    throw InvalidArgument(
        "publishing " + std::string(dtype_name(asked)) + " data on stream '" + m_state->info.name +
            "'",
        "the stream was exposed as " + std::string(dtype_name(m_state->info.dtype)));
  }
}

void* Channel::acquire(std::int64_t iteration, std::size_t block) {
  ChannelState& s = *m_state;
  if (block >= std::max<std::size_t>(s.blocks.size(), 1)) {
    throw InvalidArgument(
        "the slot of block " + std::to_string(block) + " of stream '" + s.info.name + "'",
        "this rank has " + std::to_string(s.blocks.size()) + " block(s)");
  }
  // The other blocks of the iteration being computed: their buffers in the same slot.
  if (s.acquired == iteration && iteration >= 0) {
    return s.acquired_buffer + (s.blocks.empty() ? 0 : s.blocks[block].offset_bytes);
  }
  const std::string asked =
      "publishing iteration " + std::to_string(iteration) + " of stream '" + s.info.name + "'";
  if (s.closed) {
    throw StateError(asked, "the stream is closed");
  }
  if (s.acquired >= 0) {
    throw StateError(asked, "iteration " + std::to_string(s.acquired) + " was not committed",
                     "call commit() after slot()");
  }
  if (iteration < 0) {
    throw InvalidArgument(asked, "iterations are numbered from 0");
  }
  if (iteration <= s.last_iteration) {
    throw InvalidArgument(
        asked, "iterations must increase; the last one was " + std::to_string(s.last_iteration));
  }
  s.producer->start();

  // Steering decides first, identically on every rank (the exposure changes at the
  // same iteration everywhere): an iteration it does not expose is not published,
  // and no reader is waited for.
  if (!s.steering->exposure.publishes(iteration)) {
    s.acquired = iteration;
    s.acquired_is_dropped = false;
    s.acquired_is_withheld = true;
    s.acquired_buffer = scratch_buffer(s);
    return s.acquired_buffer + (s.blocks.empty() ? 0 : s.blocks[block].offset_bytes);
  }
  s.acquired_is_withheld = false;

  const int depth = s.info.options.depth;
  const int slot = static_cast<int>(s.published % static_cast<std::uint64_t>(depth));
  const std::int64_t old = s.slot_iteration[static_cast<std::size_t>(slot)];
  bool held = s.owns_data && slot_is_held(s, old, s.max_lag);

  switch (s.info.options.policy) {
    case Policy::block: {
      // Nothing is lost, so a reader that stopped reading stalls the simulation
      // here: for the stream's reader lease at most (then it is evicted), and said
      // so rather than silently.
      sluice::detail::Backoff backoff(std::chrono::microseconds(100));
      const auto started = std::chrono::steady_clock::now();
      auto warn_after = std::chrono::seconds(10);
      auto serve_after = std::chrono::milliseconds(5);
      while (held) {
        backoff.wait();
        held = slot_is_held(s, old, s.max_lag);
        const auto waited = std::chrono::steady_clock::now() - started;
        bool give_way = false;
        if (held && s.while_waiting && waited >= serve_after) {
          // The operator keeps control meanwhile: status answers, stop gives way.
          give_way = s.while_waiting(detail::waiting_text(s, iteration, old, waited));
          serve_after = std::chrono::duration_cast<std::chrono::milliseconds>(waited) +
                        std::chrono::milliseconds(5);
        }
        if (held && s.producer->runtime().any_gone()) {
          // A reader whose process is gone is not waited for: no lease to wait out.
          detail::evict_holders(s, old, waited, "its process is gone (killed or crashed)",
                                detail::Holders::gone);
          held = slot_is_held(s, old, s.max_lag);
        }
        if (held && (give_way || (s.reader_lease.count() > 0 && waited >= s.reader_lease))) {
          detail::evict_holders(
              s, old, waited,
              give_way ? "the simulation was stopped" : "the stream's reader lease ran out");
          held = slot_is_held(s, old, s.max_lag);
        }
        if (held && waited > warn_after) {
          log::warn("stream '", s.info.name, "': iteration ", iteration, " has waited ",
                    std::chrono::duration_cast<std::chrono::seconds>(waited).count(),
                    " s for a reader to release iteration ", old,
                    " (policy block); readers that may stop reading should use skip or latest");
          warn_after *= 2;
        }
      }
      break;
    }
    case Policy::skip: {
      if (held && s.producer->runtime().any_gone()) {
        // A reader whose process is gone would make every iteration a drop.
        detail::evict_holders(s, old, std::chrono::nanoseconds(0),
                              "its process is gone (killed or crashed)", detail::Holders::gone);
        held = slot_is_held(s, old, s.max_lag);
      }
      // Every simulation rank must drop the same iterations: agree on it.
      int mine = held ? 1 : 0;
      int any = 0;
      check_mpi(MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, s.group->get()), "MPI_Allreduce",
                "agreeing whether to skip an iteration");
      held = any != 0;
      break;
    }
    case Policy::latest:
      held = false;  // overwrite; readers detect it with the seqlock
      break;
  }

  s.acquired = iteration;
  s.acquired_is_dropped = held;
  if (held || !s.owns_data) {
    s.acquired_buffer = scratch_buffer(s);
    return s.acquired_buffer + (s.blocks.empty() ? 0 : s.blocks[block].offset_bytes);
  }
  // Odd sequence: a reader that overlaps this write will notice. The exposed region
  // goes with it, while the slot is marked as being written.
  const std::uint64_t seq = ++s.slot_seq[static_cast<std::size_t>(slot)];
  const Words words(*s.window);
  words.store(s.world_rank, s.window_layout.slot_word(slot, detail::seq), seq);
  std::uint64_t region[6] = {};
  const Box& exposed = s.steering->exposure.region;
  for (std::size_t d = 0; d < exposed.rank(); ++d) {
    region[d] = static_cast<std::uint64_t>(exposed.start[d]);
    region[3 + d] = static_cast<std::uint64_t>(exposed.count[d]);
  }
  words.store_many(s.world_rank, s.window_layout.slot_word(slot, detail::exposed_start), 6, region);
  // The odd sequence must be visible before any store into the slot (a barrier on
  // weakly ordered CPUs; x86 keeps stores in order anyway).
  s.window->sync();
  s.acquired_buffer = s.slot_data(slot);
  return s.acquired_buffer + s.blocks[block].offset_bytes;
}

void Channel::commit(std::int64_t iteration) {
  ChannelState& s = *m_state;
  if (s.acquired != iteration) {
    throw StateError(
        "committing iteration " + std::to_string(iteration) + " of stream '" + s.info.name + "'",
        s.acquired < 0 ? "no slot was acquired"
                       : "the acquired iteration is " + std::to_string(s.acquired));
  }
  s.acquired = -1;
  s.last_iteration = iteration;
  const Words words(*s.window);
  const auto decided = static_cast<std::uint64_t>(iteration) + 1;
  if (s.acquired_is_withheld) {
    ++s.withheld;
    static_assert(detail::withheld + 1 == detail::decided_plus_one);
    words.store_pair(s.world_rank, s.window_layout.control_word(detail::withheld), s.withheld,
                     decided);
    return;
  }
  if (s.acquired_is_dropped || !s.owns_data) {
    if (s.acquired_is_dropped) {
      ++s.skipped;
      words.store(s.world_rank, s.window_layout.control_word(detail::skipped), s.skipped);
    }
    words.store(s.world_rank, s.window_layout.control_word(detail::decided_plus_one), decided);
    return;
  }
  const int slot = static_cast<int>(s.published % static_cast<std::uint64_t>(s.info.options.depth));
  s.window->sync();  // the slot's data is in the window before the header says so
  // Two words per atomic call: each word is still atomic on its own, and readers
  // check seq and iteration together before and after reading, so the order
  // between the two words does not matter.
  // When it was committed, for readers that measure their latency (graphs): one clock
  // for the processes of a node. Before the even sequence that makes the slot readable.
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  words.store(s.world_rank, s.window_layout.slot_word(slot, detail::committed_ns),
              static_cast<std::uint64_t>(now_ns));
  const std::uint64_t seq = ++s.slot_seq[static_cast<std::size_t>(slot)];
  static_assert(detail::seq + 1 == detail::iteration);
  words.store_pair(s.world_rank, s.window_layout.slot_word(slot, detail::seq), seq,
                   static_cast<std::uint64_t>(iteration));
  s.slot_iteration[static_cast<std::size_t>(slot)] = iteration;
  ++s.published;
  static_assert(detail::newest_plus_one + 1 == detail::published);
  words.store_pair(s.world_rank, s.window_layout.control_word(detail::newest_plus_one), decided,
                   s.published);
  words.store(s.world_rank, s.window_layout.control_word(detail::decided_plus_one), decided);
  for (const auto& block : s.blocks) {
    if (block.mirror) {
      block.mirror->write(iteration, s.slot_data(slot) + block.offset_bytes,
                          block.layout.local_shape, block.layout.local_offset,
                          s.steering->exposure.region);
    }
  }
}

void Channel::publish_bytes(std::int64_t iteration, const void* const* locals) {
  ChannelState& s = *m_state;
  auto* slot = static_cast<std::byte*>(acquire(iteration, 0));
  const std::size_t element = dtype_size(s.info.dtype);
  if (!s.acquired_is_dropped && !s.acquired_is_withheld && s.owns_data) {
    // Each owned block, or only its part inside the exposed region.
    for (std::size_t b = 0; b < s.blocks.size(); ++b) {
      const Layout& l = s.blocks[b].layout;
      const Overlap part = intersect(Selection::of(s.steering->exposure.region), l);
      if (!part.count.empty()) {
        sluice::detail::copy_box(slot + s.blocks[b].offset_bytes, l.local_shape, part.local_start,
                                 static_cast<const std::byte*>(locals[b]), l.local_shape,
                                 part.local_start, part.count, element);
      }
    }
  }
  commit(iteration);
}

void Channel::close() {
  ChannelState& s = *m_state;
  if (s.closed) {
    return;
  }
  s.closed = true;
  if (!s.window->is_null()) {  // the job's pool is freed at Runtime::free()
    Words(*s.window).store(s.world_rank, s.window_layout.control_word(detail::closed), 1);
  }
  for (const auto& block : s.blocks) {
    if (block.mirror) {
      block.mirror->close();
    }
  }
}

void Channel::accept_injections() {
  ChannelState& s = *m_state;
  const std::string asked = "accepting injections into stream '" + s.info.name + "'";
  if (s.producer->runtime().is_started()) {
    throw StateError(asked, "publishing has started", "call accept_injections() before start()");
  }
  if (s.steering == s.own_steering.get()) {
    throw StateError(asked,
                     "only a Bridge's streams take injections (steering reaches the "
                     "simulation)");
  }
  if (s.blocks.size() > 1) {
    throw StateError(asked, "this rank exposed " + std::to_string(s.blocks.size()) +
                                " blocks; injections serve streams with one block per rank");
  }
  s.steering->injectable = true;
}

std::size_t Channel::apply_injected_bytes(std::int64_t iteration, void* local) {
  ChannelState& s = *m_state;
  auto& pending = s.steering->injections;
  const std::size_t element = dtype_size(s.info.dtype);
  std::size_t written = 0;
  while (!pending.empty() && pending.front().iteration <= iteration) {
    const steer::Injection& injection = pending.front();
    if (injection.iteration < iteration) {
      log::warn("stream '", s.info.name, "': applying at iteration ", iteration,
                " an injection meant for iteration ", injection.iteration);
    }
    const Layout& layout = s.blocks.empty() ? Layout{} : s.blocks.front().layout;
    const Overlap part =
        s.owns_data ? intersect(Selection::of(injection.region), layout) : Overlap{};
    if (!part.count.empty()) {
      // The injection is row-major over its region: part.result_start is where this
      // rank's share starts in it.
      sluice::detail::copy_box(static_cast<std::byte*>(local), layout.local_shape, part.local_start,
                               injection.data.data(), injection.region.count, part.result_start,
                               part.count, element);
      written += static_cast<std::size_t>(product(part.count));
    }
    pending.pop_front();
  }
  return written;
}

ChannelCounters Channel::counters() const {
  const ChannelState& s = *m_state;
  ChannelCounters c;
  c.published = s.published;
  c.skipped = s.skipped;
  c.withheld = s.withheld;
  c.max_lag = s.max_lag;
  c.bytes_pulled =
      s.window->is_null()
          ? 0
          : Words(*s.window).load(s.world_rank, s.window_layout.control_word(detail::bytes_pulled));
  return c;
}

}  // namespace sluice::channel
