#pragma once
/// @file
/// The producer's end of a stream: publish an iteration, by copy or in place.
///
/// Obtained from Bridge::expose (or Producer::expose). Each producing rank keeps a ring
/// of `depth` slots in its part of the job's pool, an RMA window; a slot holds the
/// rank's whole local buffer of each of its blocks (halos included), so a simulation
/// can compute straight into it (zero-copy) and readers pull only the owned region
/// they selected.
///
/// @code
/// auto& T = bridge.expose<double>("temperature", layout);
/// for (std::int64_t k = 0; k <= iters; ++k) {
///   double* field = T.slot<double>(k);   // zero-copy: compute iteration k here
///   compute(field);
///   T.commit(k);                          // now visible to readers
///   bridge.end_iteration(k);
/// }
/// @endcode
///
/// All members are local (no collective) unless said otherwise, and none is
/// thread-safe: call them from the thread that drives the simulation.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sluice/channel/layout.hpp"
#include "sluice/channel/stream_info.hpp"
#include "sluice/core/dtype.hpp"

namespace sluice::channel {

class Bridge;
class Producer;
namespace detail {
struct ChannelState;
}

/// What a producing rank has done with a stream so far.
struct ChannelCounters {
  std::uint64_t published = 0;     ///< iterations made visible to readers
  std::uint64_t skipped = 0;       ///< iterations dropped under Policy::skip
  std::uint64_t withheld = 0;      ///< iterations not published because steering said so
  std::uint64_t bytes_pulled = 0;  ///< bytes readers pulled from this rank
  std::uint64_t max_lag = 0;       ///< the most iterations a subscriber trailed by
};

class Channel {
 public:
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  Channel(Channel&&) = delete;
  Channel& operator=(Channel&&) = delete;
  ~Channel();

  /// The stream as every process of the job knows it.
  [[nodiscard]] const StreamInfo& info() const noexcept;
  /// How many blocks this rank produces (0 if it owns none).
  [[nodiscard]] std::size_t blocks() const noexcept;
  /// The layout of one of this rank's blocks (normalized). InvalidArgument if there
  /// is no such block.
  [[nodiscard]] const Layout& layout(std::size_t block = 0) const;

  /// Copies the owned region of `local` (a buffer of layout().local_shape) into the
  /// next slot and makes iteration `iteration` visible; only the part inside the
  /// exposed region when steering narrowed it, nothing when it is not exposed. Iterations must
  /// increase. Under Policy::block it may wait for slow readers; under skip it may drop the
  /// iteration (on every rank alike). The first publish ends the set-up phase and is
  /// then collective over the job (see Bridge::start). For a rank with one block (or
  /// none: `local` is then not read); InvalidArgument for a rank with several.
  template <typename T>
  void publish(std::int64_t iteration, const T* local) {
    check_type(dtype_of<T>());
    check_blocks(1);
    const void* locals[1] = {local};
    publish_bytes(iteration, locals);
  }
  /// The same for a rank with several blocks: one buffer per block, in the order they
  /// were exposed. InvalidArgument if the count is not blocks().
  template <typename T>
  void publish(std::int64_t iteration, std::span<const T* const> locals) {
    check_type(dtype_of<T>());
    check_blocks(locals.size());
    std::vector<const void*> untyped(locals.begin(), locals.end());
    publish_bytes(iteration, untyped.data());
  }

  /// Publishes iteration `iteration` of a single-value stream (Producer::expose_value):
  /// every process of the group calls it with the same value. InvalidArgument for a
  /// stream that is not a single value.
  template <typename T>
  void publish_value(std::int64_t iteration, T value) {
    check_type(dtype_of<T>());
    check_value();
    const void* locals[1] = {&value};
    publish_bytes(iteration, locals);
  }

  /// Zero-copy: the buffer (of layout(block).local_shape) in which to compute block
  /// `block` of iteration `iteration`; readers see it after commit(iteration). The
  /// first call for an iteration waits or drops like publish; the calls for the other
  /// blocks of the same iteration return at once. The pointer stays valid until the
  /// slot comes round again (`depth` publications later); a dropped iteration, or one
  /// steering does not expose, gets a scratch buffer instead.
  template <typename T>
  [[nodiscard]] T* slot(std::int64_t iteration, std::size_t block = 0) {
    check_type(dtype_of<T>());
    return static_cast<T*>(acquire(iteration, block));
  }

  /// Makes the iteration acquired with slot() visible to readers.
  void commit(std::int64_t iteration);

  /// Lets steering clients inject data into this stream's array (data assimilation).
  /// Call on every simulation rank before start(); then call apply_injections() on
  /// the array once per iteration. Local. For streams of a Bridge with at most one
  /// block per rank (StateError otherwise).
  void accept_injections();

  /// Writes the injected data that holds from `iteration` (accepted at
  /// end_iteration(iteration - 1), the same on every rank) into `local`, a buffer of
  /// layout().local_shape, for the part of each injected region this rank owns.
  /// Call it once the array of `iteration` is computed and before publishing it, so
  /// the published field holds the injected values. Returns the elements written
  /// here. Injections not applied in their iteration are applied late by the next
  /// call, with a warning. Local.
  template <typename T>
  std::size_t apply_injections(std::int64_t iteration, T* local) {
    check_type(dtype_of<T>());
    return apply_injected_bytes(iteration, local);
  }

  /// Ends the stream: readers get end_of_stream after the last committed iteration.
  /// Further publishing is a StateError. Idempotent.
  void close();
  [[nodiscard]] bool is_closed() const noexcept;

  [[nodiscard]] ChannelCounters counters() const;

 private:
  friend class Bridge;
  friend class Producer;
  explicit Channel(std::unique_ptr<detail::ChannelState> state);
  void check_type(Dtype asked) const;
  void check_blocks(std::size_t given) const;
  void check_value() const;
  void* acquire(std::int64_t iteration, std::size_t block);
  void publish_bytes(std::int64_t iteration, const void* const* locals);
  std::size_t apply_injected_bytes(std::int64_t iteration, void* local);

  std::unique_ptr<detail::ChannelState> m_state;
};

}  // namespace sluice::channel
