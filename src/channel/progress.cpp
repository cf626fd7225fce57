// Consumer::progress: a stream's counters, read from the control words and subscriber
// table of every producer's window with MPI atomics (see protocol.hpp).
#include <algorithm>
#include <string>

#include "consumer_state.hpp"
#include "protocol.hpp"
#include "sluice/channel/consumer.hpp"

namespace sluice::channel {

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
  const detail::ConsumedStream& stream = **found;
  const detail::Words words(*stream.window);

  StreamProgress progress;
  progress.closed = !stream.info.producers.empty();
  bool first = true;
  for (const auto& producer : stream.info.producers) {
    std::uint64_t control[detail::control_words] = {};
    words.load_many(producer.world_rank, 0, detail::control_words, control);
    ProducerProgress one;
    one.world_rank = producer.world_rank;
    one.newest_iteration = static_cast<std::int64_t>(control[detail::newest_plus_one]) - 1;
    one.published = control[detail::published];
    one.skipped = control[detail::skipped];
    one.withheld = control[detail::withheld];
    one.bytes_pulled = control[detail::bytes_pulled];
    one.closed = control[detail::closed] != 0;

    // Only entries handed out so far can be active.
    const auto claimed = static_cast<int>(
        std::min<std::uint64_t>(control[detail::subscribers_claimed], detail::max_subscribers));
    if (claimed > 0) {
      std::vector<std::uint64_t> table(static_cast<std::size_t>(claimed) *
                                       detail::subscriber_words);
      words.load_many(producer.world_rank, detail::WindowLayout::subscriber_word(0, 0),
                      static_cast<int>(table.size()), table.data());
      for (int entry = 0; entry < claimed; ++entry) {
        one.active_readers +=
            table[static_cast<std::size_t>(entry) * detail::subscriber_words + detail::active] != 0;
      }
    }

    progress.newest_iteration =
        first ? one.newest_iteration : std::min(progress.newest_iteration, one.newest_iteration);
    progress.published = first ? one.published : std::min(progress.published, one.published);
    progress.skipped = std::max(progress.skipped, one.skipped);
    progress.withheld = std::max(progress.withheld, one.withheld);
    progress.bytes_pulled += one.bytes_pulled;
    progress.active_readers = std::max(progress.active_readers, one.active_readers);
    progress.closed = progress.closed && one.closed;
    progress.producers.push_back(one);
    first = false;
  }
  return progress;
}

}  // namespace sluice::channel
