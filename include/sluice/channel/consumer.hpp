#pragma once
/// @file
/// The reader's end: subscribe to a stream and pull each iteration's selection.
///
/// @code
/// sluice::Runtime runtime(sluice::Role::analytics);
/// sluice::channel::Consumer consumer(runtime);          // meets the simulation's set-up
/// auto& T = consumer.subscribe<double>("temperature");  // the whole array, from iteration 0
/// for (;;) {
///   auto step = T.next(std::chrono::seconds(10));
///   if (step.status() == sluice::channel::StepStatus::end_of_stream) break;
///   if (step.status() != sluice::channel::StepStatus::ok) continue;
///   analyse(step.iteration(), step.data<double>());      // row-major selection
/// }                                                       // step released: credits return
/// consumer.close();                                       // local
/// @endcode
///
/// A pull issues one MPI_Get per producer block the selection intersects, with
/// derived datatypes on both sides, inside a long-lived passive epoch, then flushes.
/// Producers on this process's node are read in place instead, when the job's windows
/// allow it (one node, shared windows): the step then points into the producers'
/// slots (Step::blocks()), and nothing is copied unless data() is called.
/// Nothing is collective after the constructor but start() (the end of the job's
/// set-up phase). Not thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/channel/layout.hpp"
#include "sluice/channel/stream_info.hpp"
#include "sluice/channel/stream_progress.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/core/error.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::channel {

enum class StepStatus { ok, not_ready, end_of_stream, error };

/// How a Consumer reads.
struct ConsumerOptions {
  /// Read the slots of producers on this node in place (no MPI_Get, no copy) where
  /// the stream's window allows it, for block and skip streams (a latest stream's
  /// producer overwrites slots under its readers, so those are always copied, with
  /// the seqlock check). false forces the remote path (MPI_Get) everywhere.
  bool read_in_place = true;
};

/// One producer's part of a step read in place: `count` elements per dimension,
/// the first at `data`, consecutive ones `strides` elements apart per dimension (the
/// producer's buffer holds halos and other ranks' parts of the selection do not sit
/// in it), landing at `result_start` in the step's selection. Valid while the step
/// is held.
struct InPlaceBlock {
  const void* data = nullptr;
  Extents count;
  Extents strides;
  Extents result_start;
  int world_rank = 0;  ///< the process that produced it
  int block = 0;       ///< which of that process's blocks
};

[[nodiscard]] std::string_view step_status_name(StepStatus status) noexcept;

class Bridge;
class Subscription;
namespace detail {
struct ConsumerState;
struct SubscriptionState;
}  // namespace detail

/// One iteration of a subscription. Move-only; releasing it (explicitly, by
/// destruction, or by the next next()) tells the producers the slot is free, and
/// its data() is then refused (the buffer may already hold another iteration). A
/// Step must not outlive its Consumer.
class Step {
 public:
  Step(Step&& other) noexcept;
  Step& operator=(Step&& other) noexcept;
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;
  ~Step();

  [[nodiscard]] StepStatus status() const noexcept { return m_status; }
  [[nodiscard]] bool ok() const noexcept { return m_status == StepStatus::ok; }
  /// The iteration delivered (ok only).
  [[nodiscard]] std::int64_t iteration() const noexcept { return m_iteration; }
  /// What went wrong (error only).
  [[nodiscard]] const std::string& error() const noexcept { return m_error; }
  /// When the iteration was committed by the last of its producers (ok only), on
  /// std::chrono::steady_clock: comparable with this node's clock, for latencies.
  /// StateError once released.
  [[nodiscard]] std::chrono::steady_clock::time_point committed_at() const;
  /// The delivered selection's shape (its `count`).
  [[nodiscard]] const Extents& shape() const noexcept;
  /// The part of the subscription's selection this step holds, in global coordinates:
  /// the whole selection, unless steering narrowed the stream's exposed region, which
  /// clips it, possibly to nothing (a count of 0: the iteration is still delivered, so
  /// that every reader sees the same iterations). Ok only; valid until the next next().
  [[nodiscard]] const Selection& selection() const noexcept;
  /// The selection, row-major. InvalidArgument if T is not the stream's type,
  /// StateError if the step is not ok or was released. For a step read in place,
  /// the first call assembles the selection from blocks() (a copy).
  template <typename T>
  [[nodiscard]] std::span<const T> data() const {
    check_type(dtype_of<T>());
    if (m_data == nullptr) {
      assemble();
    }
    return {static_cast<const T*>(m_data), m_elements};
  }
  /// The value of a single-value stream's step (Producer::expose_value), or of a
  /// selection of one element. InvalidArgument for a wrong type or a step with other
  /// than one element, StateError as data().
  template <typename T>
  [[nodiscard]] T value() const {
    const auto values = data<T>();
    check_single(values.size());
    return values[0];
  }
  /// Whether the step was read in place: blocks() point into the producers' slots.
  [[nodiscard]] bool in_place() const noexcept { return m_in_place; }
  /// The parts of the selection in the producers' slots (in-place steps; empty
  /// otherwise). StateError once released, like data().
  [[nodiscard]] std::span<const InPlaceBlock> blocks() const;
  /// Returns the slot to the producers. Idempotent.
  void release();

 private:
  friend class Subscription;
  Step(Subscription* owner, StepStatus status, std::int64_t iteration, const void* data,
       std::size_t elements, std::string error, bool in_place = false);
  void check_type(Dtype asked) const;
  void check_single(std::size_t elements) const;
  void check_held() const;
  void assemble() const;

  Subscription* m_owner;  // null once moved from
  bool m_released = false;
  std::uint64_t m_generation = 0;  // which next() produced it
  StepStatus m_status;
  std::int64_t m_iteration;
  mutable const void* m_data;  // null until an in-place step is assembled
  std::size_t m_elements;
  std::string m_error;
  bool m_in_place = false;
};

/// Counters of one subscription.
struct SubscriptionCounters {
  std::uint64_t delivered = 0;      ///< steps returned with status ok
  std::uint64_t bytes_pulled = 0;   ///< bytes moved by MPI_Get
  std::uint64_t torn_reads = 0;     ///< reads overtaken by the producer, detected and retried
  std::uint64_t read_in_place = 0;  ///< steps delivered in place (no bytes moved)
};

class Subscription {
 public:
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  Subscription(Subscription&&) = delete;
  Subscription& operator=(Subscription&&) = delete;
  ~Subscription();

  /// The next iteration (block and skip: the next one published after the last
  /// delivered; latest: the newest), waiting up to `timeout`. Releases the previous
  /// step if still held. Statuses: ok, not_ready (timeout), end_of_stream (the
  /// stream is closed and everything was delivered), error (see Step::error).
  [[nodiscard]] Step next(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  /// The same, assembling the selection straight into the caller's buffer (no copy
  /// out of the subscription's own). `into` must hold exactly the selection's
  /// elements; InvalidArgument otherwise, or if T is not the stream's type. A step
  /// clipped by steering fills only the first Step::selection().elements().
  template <typename T>
  [[nodiscard]] Step next(std::chrono::milliseconds timeout, std::span<T> into) {
    check_destination(dtype_of<T>(), into.size());
    return next_into(timeout, into.data());
  }

  /// Ends the subscription: producers stop keeping iterations for it (under
  /// Policy::block they no longer wait for it), and next() returns error. A step
  /// still held is released: its data() and blocks() are refused. Local;
  /// idempotent. Its Consumer's next subscription to the stream takes its entry in
  /// the producers' subscriber tables back. Each producer has 32 entries per stream
  /// and a Consumer keeps those it took: 32 subscriptions to a stream open at once,
  /// from at most 32 Consumers in a run. An evicted subscription closes itself the
  /// same way.
  void close();
  [[nodiscard]] bool is_closed() const noexcept;

  [[nodiscard]] const StreamInfo& stream() const noexcept;
  [[nodiscard]] const Selection& selection() const noexcept;
  /// Producer blocks this selection intersects (one MPI_Get each per step).
  [[nodiscard]] std::size_t blocks() const noexcept;
  /// Processes producing those blocks.
  [[nodiscard]] std::size_t producers() const noexcept;
  /// Whether steps are read in place (see ConsumerOptions).
  [[nodiscard]] bool reads_in_place() const noexcept;
  /// From the next step on, pull with MPI_Get even where in-place reads are possible
  /// (as ConsumerOptions::read_in_place = false does for a whole Consumer). Local.
  void force_remote() noexcept;
  [[nodiscard]] SubscriptionCounters counters() const noexcept;

 private:
  friend class Consumer;
  friend class Step;
  friend class StepGroup;
  explicit Subscription(std::unique_ptr<detail::SubscriptionState> state);
  // The newest iteration every producer is done with (published, skipped or
  // withheld); -1 before any. Read one-sided.
  [[nodiscard]] std::int64_t decided() const;
  void release(std::int64_t iteration);
  void check_destination(Dtype dtype, std::size_t elements) const;
  // Copies the in-place views of the held step into `into` (row-major selection).
  void assemble(void* into) const;
  Step next_into(std::chrono::milliseconds timeout, void* destination);

  std::unique_ptr<detail::SubscriptionState> m_state;
};

class Consumer {
 public:
  /// A reader on a simulation rank, next to its Bridge. Local: create it after
  /// exposing, subscribe, and the Bridge's start() (or first publish) lets publishing
  /// begin. Under Policy::block, the rank must read between publications or it waits
  /// for itself.
  explicit Consumer(Bridge& bridge, ConsumerOptions options = {});

  /// A reader in any other role. Ends the first half of the job's set-up
  /// (Runtime::finish_setup: every stream exposed in set-up is known then) and
  /// returns; see start(). Collective over the job.
  explicit Consumer(const Runtime& runtime, ConsumerOptions options = {});
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  Consumer(Consumer&&) = delete;
  Consumer& operator=(Consumer&&) = delete;
  /// Closes if close() was not called, unless an exception is unwinding.
  ~Consumer();

  /// The stream's counters, read one-sided from every producer's window (a few
  /// atomic reads per producer; the producers are not disturbed). NotFound for an
  /// unknown stream; StateError before start() or after close().
  [[nodiscard]] StreamProgress progress(std::string_view name) const;

  /// Every stream known: those exposed in set-up, and those discovered since.
  [[nodiscard]] const std::vector<StreamInfo>& streams() const noexcept;
  /// Looks for streams exposed since (by any process, at any time); returns
  /// streams(). subscribe() does it by itself for a name it does not know. Local.
  const std::vector<StreamInfo>& discover();

  /// Subscribes to `name`, the whole array or a selection; the subscription gets the
  /// iterations published after this call. Local (a few atomics on the producers; a
  /// look at the job's catalog for a stream not known yet).
  /// NotFound for an unknown stream, InvalidArgument for a selection out of bounds
  /// or a type that is not the stream's, StateError if the stream is closed.
  template <typename T>
  Subscription& subscribe(std::string_view name) {
    return subscribe_dtype(name, dtype_of<T>(), nullptr);
  }
  template <typename T>
  Subscription& subscribe(std::string_view name, const Selection& selection) {
    return subscribe_dtype(name, dtype_of<T>(), &selection);
  }
  Subscription& subscribe_dtype(std::string_view name, Dtype dtype, const Selection* selection);
  /// Subscribes to a single-value stream (Producer::expose_value); read each step's
  /// value with Step::value<T>(). InvalidArgument if the stream is an array.
  template <typename T>
  Subscription& subscribe_value(std::string_view name) {
    return subscribe_value_dtype(name, dtype_of<T>());
  }
  Subscription& subscribe_value_dtype(std::string_view name, Dtype dtype);

  /// Lets the simulation start publishing: the second half of the job's set-up
  /// (Runtime::start), collective over the job. Subscriptions made before it get
  /// every iteration from the first; later ones get those published after they
  /// subscribed. Called implicitly by the first Subscription::next() and by close();
  /// idempotent.
  void start();

  /// Ends every subscription: producers stop keeping iterations for it. Local after
  /// start(). The streams' memory stays readable until Runtime::free().
  void close();
  [[nodiscard]] bool is_closed() const noexcept;

 private:
  /// Tells every producer to stop keeping iterations for our subscriptions. Local.
  void unsubscribe_all();

  std::unique_ptr<detail::ConsumerState> m_state;
};

}  // namespace sluice::channel
