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
// Window of one stream on one producer (byte offsets, all words uint64):
//   control    newest_plus_one, published, closed, skipped, bytes_pulled,
//              subscribers_claimed, withheld, reserved
//   subscribers max_subscribers x {active, start, released_plus_one}
//   slot heads depth x {seq, iteration, exposed start x3, exposed count x3}
//   data       depth x slot_bytes, 64-byte aligned; each slot holds the local buffer
#include <mpi.h>

#include <cstddef>
#include <cstdint>

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
  subscribers_claimed = 5,  // subscriber entries handed out so far (never reused)
  withheld = 6,             // iterations not published because steering said so
  control_words = 8,
};

enum SubscriberWord : int { active = 0, start = 1, released_plus_one = 2, subscriber_words = 3 };
// The exposed region (steering may narrow it) is part of each slot's head, written
// while the sequence is odd: a reader learns with the iteration which part of the
// slot holds it.
enum SlotWord : int {
  seq = 0,
  iteration = 1,
  exposed_start = 2,  // 3 words, unused dimensions 0
  exposed_count = 5,  // 3 words, unused dimensions 0
  slot_words = 8,
};

// Bytes of one slot of a producer whose local buffer has `local_elements` elements.
inline std::size_t slot_bytes_for(std::int64_t local_elements, Dtype dtype) {
  return (static_cast<std::size_t>(local_elements) * dtype_size(dtype) + 63) / 64 * 64;
}

struct WindowLayout {
  int depth = 2;
  std::size_t slot_bytes = 0;  // rounded up to 64

  static constexpr MPI_Aint subscriber_word(int subscriber, int word) {
    return control_words + subscriber * subscriber_words + word;
  }
  static constexpr MPI_Aint slot_word(int slot, int word) {
    return control_words + max_subscribers * subscriber_words + slot * slot_words + word;
  }
  [[nodiscard]] MPI_Aint header_bytes() const {
    const auto words = static_cast<std::size_t>(slot_word(depth, 0));
    return static_cast<MPI_Aint>((words * sizeof(std::uint64_t) + 63) / 64 * 64);
  }
  [[nodiscard]] MPI_Aint slot_offset(int slot) const {
    return header_bytes() + static_cast<MPI_Aint>(slot) * static_cast<MPI_Aint>(slot_bytes);
  }
  [[nodiscard]] std::size_t window_bytes() const {
    return static_cast<std::size_t>(header_bytes()) + static_cast<std::size_t>(depth) * slot_bytes;
  }
};

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

}  // namespace sluice::channel::detail
