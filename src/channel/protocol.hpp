#pragma once
// Private: the layout of a stream's window on one producing rank, and the atomic
// word operations both sides use on it (sluice::mpi::AtomicWords).
//
// Every word that one side writes and the other reads is accessed with MPI atomics
// (MPI_Fetch_and_op, MPI_Accumulate, MPI_Compare_and_swap, MPI_Get_accumulate), never
// with plain loads: MPI only guarantees that atomics see each other, whichever
// one-sided component (osc sm, rdma, pt2pt) serves the window. Slot data is written
// with plain stores followed by MPI_Win_sync and read with MPI_Get; the slot's
// sequence word (a seqlock) tells a reader whether what it read is whole.
//
// One stream's part of a producer's pool (byte offsets from its base, words uint64):
//   control    newest_plus_one, published, closed, skipped, bytes_pulled,
//              subscribers_claimed, withheld, decided_plus_one, evicted
//   subscribers max_subscribers x {active, start, released_plus_one, reader,
//              evicted_reader, evicted_ms, eviction_votes, votes_base}
//   slot heads depth x {seq, iteration, exposed start x3, exposed count x3, committed ns}
//   data       depth x slot_bytes, 64-byte aligned; each slot holds the local buffers
//              of all the producer's blocks, one after the other, each 64-byte aligned
#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "sluice/channel/stream_info.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/mpi/atomic_words.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/window.hpp"

namespace sluice::channel::detail {

constexpr int max_subscribers = 32;

enum ControlWord : int {
  newest_plus_one = 0,      // newest committed iteration + 1; 0 before the first
  published = 1,            // number of publications so far; slot = (published - 1) % depth
  closed = 2,               // 1 once the producer closed the stream
  skipped = 3,              // iterations dropped under the skip policy
  bytes_pulled = 4,         // bytes readers pulled from this producer
  subscribers_claimed = 5,  // subscriber entries handed out so far (tickets)
  withheld = 6,             // iterations not published because steering said so
  // The newest iteration the producer is done with (published, skipped or withheld) + 1,
  // stored after newest_plus_one: a reader that sees it and no iteration k <= it
  // knows k will never come (steps across streams rely on it).
  decided_plus_one = 7,
  evicted = 8,  // readers evicted under Policy::block, counted on their first producer
  control_words = 9,
};

// A subscriber's entry in each producer's table. Under Policy::block a producer that
// waited longer than the stream's reader lease for a reader evicts it on every
// producer of the stream (a reader holds one entry on each producer it reads from,
// all carrying the same `reader` number): it stores how long it waited into each
// entry's `evicted_ms`, then the reader's number into `evicted_reader`, and producers
// no longer wait for an entry whose two numbers match (entry_evicted). The eviction is
// counted once: by the producer whose fetch-and-add on the reader's entry on its
// lowest-ranked producer returns the `votes_base` the reader left there.
//
// Entries are handed out by a ticket counter (subscribers_claimed); the Consumer that
// held one takes it again for its next subscription once it closed or was evicted,
// writing a new reader number last before `active`. An
// eviction decided for the previous reader and stored late then names a number the
// entry no longer carries, and changes nothing. Every word sees one kind of atomic
// (stores, or adds for the votes), as the window's accumulate ordering requires, and
// no compare-and-swap is needed (a 64-bit one crashes Open MPI 4.1's osc rdma over
// vader, ompi#11349).
enum SubscriberWord : int {
  active = 0,
  start = 1,
  released_plus_one = 2,
  reader = 3,          // (world rank + 1) << 32 | a number unique in that process
  evicted_reader = 4,  // the reader a producer evicted from this entry, or 0
  evicted_ms = 5,      // how long the evicting producer had waited (at least 1)
  eviction_votes = 6,
  votes_base = 7,  // eviction_votes when the entry's reader took it
  subscriber_words = 8,
};
// The exposed region (steering may narrow it) is part of each slot's head, written
// while the sequence is odd: a reader learns with the iteration which part of the
// slot holds it.
enum SlotWord : int {
  seq = 0,
  iteration = 1,
  exposed_start = 2,  // 3 words, unused dimensions 0
  exposed_count = 5,  // 3 words, unused dimensions 0
  committed_ns = 8,   // when the producer committed it: steady_clock, nanoseconds
  slot_words = 9,
};

// Bytes of one local buffer of `local_elements` elements inside a slot (each block's
// buffer starts 64-byte aligned).
inline std::size_t block_bytes_for(std::int64_t local_elements, Dtype dtype) {
  return (static_cast<std::size_t>(local_elements) * dtype_size(dtype) + 63) / 64 * 64;
}

// Where one producer's part of a stream lies in its pool (Runtime::pool()): the part
// starts at `base_bytes` (64-byte aligned) with the control words, and its slots hold
// all of the producer's blocks, `slot_bytes` each. Word positions are absolute word
// indices in the pool, as Words takes them.
struct WindowLayout {
  int depth = 2;
  std::size_t slot_bytes = 0;  // rounded up to 64
  std::size_t base_bytes = 0;

  [[nodiscard]] MPI_Aint control_word(int word) const { return base_word() + word; }
  [[nodiscard]] MPI_Aint subscriber_word(int subscriber, int word) const {
    return base_word() + control_words + subscriber * subscriber_words + word;
  }
  [[nodiscard]] MPI_Aint slot_word(int slot, int word) const {
    return base_word() + relative_slot_word(slot, word);
  }
  [[nodiscard]] std::size_t header_bytes() const {
    const auto words = static_cast<std::size_t>(relative_slot_word(depth, 0));
    return (words * sizeof(std::uint64_t) + 63) / 64 * 64;
  }
  // Byte offset of a slot's data in the pool.
  [[nodiscard]] MPI_Aint slot_offset(int slot) const {
    return static_cast<MPI_Aint>(base_bytes + header_bytes() +
                                 static_cast<std::size_t>(slot) * slot_bytes);
  }
  // Bytes of the whole part: header and slots.
  [[nodiscard]] std::size_t region_bytes() const {
    return header_bytes() + static_cast<std::size_t>(depth) * slot_bytes;
  }

 private:
  [[nodiscard]] MPI_Aint base_word() const {
    return static_cast<MPI_Aint>(base_bytes / sizeof(std::uint64_t));
  }
  static constexpr MPI_Aint relative_slot_word(int slot, int word) {
    return control_words + max_subscribers * subscriber_words + slot * slot_words + word;
  }
};

// The layout of the stream's part of `block`'s producer pool (every block of a rank
// shares it).
inline WindowLayout window_layout_of(const StreamInfo& stream, const ProducerBlock& block) {
  WindowLayout layout;
  layout.depth = stream.options.depth;
  layout.slot_bytes = block.slot_bytes;
  layout.base_bytes = block.window_offset_bytes;
  return layout;
}

// Word operations on `rank`'s window, inside a lock_all epoch; each completes before
// returning (flush), so the protocol's order is the program's order. The generic part
// is sluice::mpi::AtomicWords; this name keeps the channel's error messages.
class Words : public mpi::AtomicWords {
 public:
  explicit Words(const mpi::Window& window) noexcept
      : AtomicWords(window, "a stream control word") {}
};

}  // namespace sluice::channel::detail

namespace sluice::channel::detail {

inline MPI_Datatype mpi_type_of(Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return MPI_FLOAT;
    case Dtype::f64:
      return MPI_DOUBLE;
    case Dtype::i32:
      return MPI_INT32_T;
    case Dtype::i64:
      return MPI_INT64_T;
    case Dtype::u8:
      return MPI_UINT8_T;
  }
  return MPI_BYTE;
}

// A producer's subscriber table, as far as entries were handed out (entries claimed
// later are not active yet): `table` holds max_subscribers x subscriber_words words;
// returns how many entries were read. One atomic load while nobody subscribes.
inline int load_subscribers(const Words& words, int rank, const WindowLayout& layout,
                            std::uint64_t* table) {
  const auto claimed = static_cast<int>(std::min<std::uint64_t>(
      words.load(rank, layout.control_word(subscribers_claimed)), max_subscribers));
  if (claimed > 0) {
    words.load_many(rank, layout.subscriber_word(0, 0), claimed * subscriber_words, table);
  }
  return claimed;
}

// Whether the reader an entry holds now was evicted from it.
inline bool entry_evicted(const std::uint64_t* entry) {
  return entry[evicted_reader] != 0 && entry[evicted_reader] == entry[reader];
}

// Whether a subscriber entry is read from: active and not evicted.
inline bool entry_reads(const std::uint64_t* entry) {
  return entry[active] != 0 && !entry_evicted(entry);
}

// Whether a subscriber entry keeps the producer from overwriting iteration `old`:
// active, not evicted, subscribed at or before it and not released past it.
inline bool entry_holds(const std::uint64_t* entry, std::int64_t old) {
  return old >= 0 && entry_reads(entry) && static_cast<std::int64_t>(entry[start]) <= old &&
         static_cast<std::int64_t>(entry[released_plus_one]) <= old;
}

}  // namespace sluice::channel::detail
