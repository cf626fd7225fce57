#pragma once
/// @file
/// sluice::channel::Producer: exposes streams from any role, at any time.
///
/// A stream is produced by the processes of a group (a communicator): the simulation's
/// ranks for a Bridge, one scheduler for a graph's derived stream, any set of
/// processes. expose() is collective over the group only: each process takes the
/// stream's slots from its own part of the job's pool (Runtime::pool()), the group
/// checks that the blocks tile the array, and the group's first process publishes the
/// stream in the job's catalog, where every reader finds it. Nobody outside the group
/// takes part, so a stream created while the simulation runs never makes the
/// simulation enter a collective.
///
/// @code
/// // On one scheduler process, after the simulation started:
/// const auto self = sluice::mpi::Comm::borrow(MPI_COMM_SELF);
/// sluice::channel::Producer producer(runtime, self);
/// auto& mean = producer.expose<double>("temperature.mean", {.global_shape = {1},
///     .block_start = {0}, .block_count = {1}});
/// mean.publish(k, &value);                 // readers subscribe to it by name
/// @endcode
///
/// Not copyable or movable (channels point back to it). Not thread-safe.

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sluice/channel/channel.hpp"
#include "sluice/channel/options.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::channel {

namespace detail {
class ExternalReaders;
}

class Producer {
 public:
  /// Local. `runtime` and `group` (this process must be in it) outlive the producer.
  Producer(const Runtime& runtime, const mpi::Comm& group);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  Producer(Producer&&) = delete;
  Producer& operator=(Producer&&) = delete;
  /// Closes every stream (readers get end_of_stream) unless close() was called.
  ~Producer();

  /// Exposes a stream of element type T with one block on this process. Collective
  /// over the group (every process calls it, in the same order, with its block; a
  /// block with a zero count owns nothing). InvalidArgument, the same on every process
  /// of the group, naming the processes involved, for overlapping blocks, gaps, blocks
  /// outside the global shape, mismatched dtypes, options or names, or a name another
  /// stream of the job has; StateError if this process's pool is full.
  template <typename T>
  Channel& expose(std::string_view name, const Layout& layout, ChannelOptions options = {}) {
    return expose_dtype(name, dtype_of<T>(), std::span<const Layout>(&layout, 1), options);
  }
  /// The same with several blocks on this process (patches, chunks; none is allowed):
  /// every block of every process together must tile the array.
  template <typename T>
  Channel& expose(std::string_view name, std::span<const Layout> blocks,
                  ChannelOptions options = {}) {
    return expose_dtype(name, dtype_of<T>(), blocks, options);
  }
  Channel& expose_dtype(std::string_view name, Dtype dtype, std::span<const Layout> blocks,
                        ChannelOptions options = {});

  /// Exposes a stream of one value of type T per iteration (the simulation time, a
  /// residual): every process of the group calls it and publishes the same value with
  /// Channel::publish_value (the group's first process keeps it). Readers get it with
  /// Step::value(). Collective over the group; errors as expose().
  template <typename T>
  Channel& expose_value(std::string_view name, ChannelOptions options = {}) {
    return expose_value_dtype(name, dtype_of<T>(), options);
  }
  Channel& expose_value_dtype(std::string_view name, Dtype dtype, ChannelOptions options = {});

  /// The channel of a stream exposed here; NotFound if there is none. Local.
  [[nodiscard]] Channel& channel(std::string_view name);
  [[nodiscard]] std::span<const std::unique_ptr<Channel>> channels() const noexcept {
    return m_channels;
  }
  [[nodiscard]] const Runtime& runtime() const noexcept { return *m_runtime; }
  [[nodiscard]] const mpi::Comm& group() const noexcept { return *m_group; }

  /// Closes every stream: readers get end_of_stream after the last iteration, and
  /// readers outside the job (sluice-tap) too. Local.
  void close();

  /// What the first publish of a stream calls to end the job's set-up phase:
  /// Runtime::start(), unless the owner (a Bridge) has its own start. Local hook.
  void set_start(std::function<void()> start) { m_start = std::move(start); }
  /// Calls it (see set_start). Collective over the job until the job started.
  void start() const;

 private:
  const Runtime* m_runtime;
  const mpi::Comm* m_group;
  std::vector<std::unique_ptr<Channel>> m_channels;
  std::function<void()> m_start;
  std::unique_ptr<detail::ExternalReaders> m_external;  // every stream is tappable
  bool m_pending_value = false;  // the stream being exposed is a single value
};

}  // namespace sluice::channel
