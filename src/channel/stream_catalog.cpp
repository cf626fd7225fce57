// StreamCatalog: stream layouts from the job's catalog, and their counters read from
// the control words and subscriber table of every producer with MPI atomics (see
// protocol.hpp).
#include "sluice/channel/stream_catalog.hpp"

#include <algorithm>
#include <string>

#include "protocol.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "stream_info_codec.hpp"

namespace sluice::channel {

std::vector<int> StreamInfo::producer_ranks() const {
  std::vector<int> ranks;
  for (const auto& producer : producers) {
    ranks.push_back(producer.world_rank);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  return ranks;
}

StreamCatalog::StreamCatalog(const Runtime& runtime) : m_runtime(&runtime) {}

const std::vector<StreamInfo>& StreamCatalog::refresh() {
  const auto& entries = m_runtime->catalog().refresh();
  for (; m_entries_read < entries.size(); ++m_entries_read) {
    const auto& entry = entries[m_entries_read];
    const auto& bytes = entry.description;
    sluice::detail::ByteReader in(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    StreamInfo info;
    if (!detail::get_stream_info(in, info) || !in.at_end() || info.name != entry.name) {
      log::warn("world rank ", entry.world_rank, " published '", entry.name,
                "', which is not a stream description; it is left out");
      continue;
    }
    // Two groups racing for one name both publish it; the first found wins everywhere
    // (producers check the catalog before exposing, so this is rare).
    const bool known = std::any_of(m_streams.begin(), m_streams.end(),
                                   [&](const StreamInfo& s) { return s.name == info.name; });
    if (!known) {
      m_streams.push_back(std::move(info));
    }
  }
  return m_streams;
}

const StreamInfo* StreamCatalog::find(std::string_view name) {
  const auto look = [&]() -> const StreamInfo* {
    const auto found = std::find_if(m_streams.begin(), m_streams.end(),
                                    [&](const StreamInfo& s) { return s.name == name; });
    return found == m_streams.end() ? nullptr : &*found;
  };
  if (const StreamInfo* known = look()) {
    return known;
  }
  refresh();
  return look();
}

StreamProgress StreamCatalog::progress(std::string_view name) {
  const StreamInfo* stream = find(name);
  if (stream == nullptr) {
    throw NotFound("reading the progress of stream '" + std::string(name) + "'",
                   "no stream of that name was exposed");
  }
  return progress(*stream);
}

StreamProgress StreamCatalog::progress(const StreamInfo& stream) const {
  const detail::Words words(m_runtime->pool().window());
  StreamProgress progress;
  progress.closed = !stream.producers.empty();
  bool first = true;
  for (int rank : stream.producer_ranks()) {
    const auto block = std::find_if(stream.producers.begin(), stream.producers.end(),
                                    [&](const ProducerBlock& p) { return p.world_rank == rank; });
    const detail::WindowLayout layout = detail::window_layout_of(stream, *block);
    std::uint64_t control[detail::control_words] = {};
    words.load_many(rank, layout.control_word(0), detail::control_words, control);
    ProducerProgress one;
    one.world_rank = rank;
    one.newest_iteration = static_cast<std::int64_t>(control[detail::newest_plus_one]) - 1;
    one.published = control[detail::published];
    one.skipped = control[detail::skipped];
    one.withheld = control[detail::withheld];
    one.evicted = control[detail::evicted];
    one.bytes_pulled = control[detail::bytes_pulled];
    one.closed = control[detail::closed] != 0;

    // Only entries handed out so far can be active.
    const auto claimed = static_cast<int>(
        std::min<std::uint64_t>(control[detail::subscribers_claimed], detail::max_subscribers));
    if (claimed > 0) {
      std::vector<std::uint64_t> table(static_cast<std::size_t>(claimed) *
                                       detail::subscriber_words);
      words.load_many(rank, layout.subscriber_word(0, 0), static_cast<int>(table.size()),
                      table.data());
      for (int e = 0; e < claimed; ++e) {
        const std::uint64_t* entry = &table[static_cast<std::size_t>(e) * detail::subscriber_words];
        one.active_readers += detail::entry_reads(entry);
      }
    }

    progress.newest_iteration =
        first ? one.newest_iteration : std::min(progress.newest_iteration, one.newest_iteration);
    progress.published = first ? one.published : std::min(progress.published, one.published);
    progress.skipped = std::max(progress.skipped, one.skipped);
    progress.withheld = std::max(progress.withheld, one.withheld);
    progress.evicted += one.evicted;
    progress.bytes_pulled += one.bytes_pulled;
    progress.active_readers = std::max(progress.active_readers, one.active_readers);
    progress.closed = progress.closed && one.closed;
    progress.producers.push_back(one);
    first = false;
  }
  return progress;
}

}  // namespace sluice::channel
