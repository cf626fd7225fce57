#pragma once
/// @file
/// sluice::channel::StreamCatalog: the streams of the job as any process sees them,
/// without subscribing: their layouts (from the job's catalog, Runtime::catalog()) and
/// their progress (read one-sided from the producers, who are not disturbed).
///
/// The steering server and the schedulers report on streams with it; a Consumer
/// builds on it. Streams exposed at any time, by any role, appear at the next
/// refresh().
///
/// @code
/// sluice::channel::StreamCatalog streams(runtime);
/// for (const auto& info : streams.refresh()) {
///   auto progress = streams.progress(info);   // newest iteration, published, ...
/// }
/// @endcode
///
/// Local (one-sided reads); not thread-safe.

#include <memory>
#include <string_view>
#include <vector>

#include "sluice/channel/stream_info.hpp"
#include "sluice/channel/stream_progress.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::channel {

class StreamCatalog {
 public:
  /// Local. `runtime` outlives the catalog.
  explicit StreamCatalog(const Runtime& runtime);

  /// The streams found by the last refresh(), in the order they were found.
  [[nodiscard]] const std::vector<StreamInfo>& streams() const noexcept { return m_streams; }
  /// Reads what producers published since the last call; returns streams().
  const std::vector<StreamInfo>& refresh();
  /// The stream of that name, refreshing once if it is not known yet; null if there
  /// is none.
  [[nodiscard]] const StreamInfo* find(std::string_view name);

  /// The stream's counters, read from every producer's control words (a few atomic
  /// reads per producer).
  [[nodiscard]] StreamProgress progress(const StreamInfo& stream) const;
  /// The same by name; NotFound for an unknown stream.
  [[nodiscard]] StreamProgress progress(std::string_view name);

 private:
  const Runtime* m_runtime;
  std::vector<StreamInfo> m_streams;
  std::size_t m_entries_read = 0;  // catalog entries decoded so far
};

}  // namespace sluice::channel
