#include "eviction.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "channel_state.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/core/log.hpp"

namespace sluice::channel::detail {

namespace {

// One producer's subscriber table, as far as entries were handed out.
struct Table {
  int world_rank = 0;
  WindowLayout layout;
  std::vector<std::uint64_t> words;  // claimed entries x subscriber_words

  [[nodiscard]] int entries() const { return static_cast<int>(words.size()) / subscriber_words; }
  [[nodiscard]] std::uint64_t word(int entry, int word) const {
    return words[static_cast<std::size_t>(entry) * subscriber_words +
                 static_cast<std::size_t>(word)];
  }
};

Table load_table(const Words& words, const StreamInfo& info, const ProducerBlock& block) {
  Table table;
  table.world_rank = block.world_rank;
  table.layout = window_layout_of(info, block);
  table.words.resize(static_cast<std::size_t>(max_subscribers) * subscriber_words);
  const int claimed = load_subscribers(words, block.world_rank, table.layout, table.words.data());
  table.words.resize(static_cast<std::size_t>(claimed) * subscriber_words);
  return table;
}

// "analytics rank 0 (world rank 3)"
std::string reader_name(const Runtime& runtime, int world_rank) {
  if (world_rank < 0 || world_rank >= runtime.world_size()) {
    return "world rank " + std::to_string(world_rank);
  }
  const Role role = runtime.role_of(world_rank);
  const auto ranks = runtime.ranks_of(role);
  const auto at = std::find(ranks.begin(), ranks.end(), world_rank) - ranks.begin();
  return std::string(role_name(role)) + " rank " + std::to_string(at) + " (world rank " +
         std::to_string(world_rank) + ")";
}

// Evicts reader `reader` on every producer of the stream; true if this producer is
// the one that counts it.
bool evict_reader(const ChannelState& s, std::uint64_t reader, std::uint64_t waited_ms) {
  const Words words(*s.window);
  // Every producer of the stream once, in world rank order: the same order for every
  // producer that evicts, so that they agree on which entry holds the count.
  std::vector<const ProducerBlock*> producers;
  for (const auto& block : s.info.producers) {
    const bool seen = std::any_of(producers.begin(), producers.end(), [&](const ProducerBlock* p) {
      return p->world_rank == block.world_rank;
    });
    if (!seen) {
      producers.push_back(&block);
    }
  }
  std::sort(producers.begin(), producers.end(), [](const ProducerBlock* a, const ProducerBlock* b) {
    return a->world_rank < b->world_rank;
  });
  bool counts = false;
  bool first_entry = true;
  for (const ProducerBlock* producer : producers) {
    const Table table = load_table(words, s.info, *producer);
    for (int e = 0; e < table.entries(); ++e) {
      if (table.word(e, detail::reader) != reader) {
        continue;
      }
      if (first_entry) {
        first_entry = false;
        counts = words.add(table.world_rank, table.layout.subscriber_word(e, eviction_votes), 1) ==
                 table.word(e, votes_base);
        if (counts) {
          words.add(table.world_rank, table.layout.control_word(evicted), 1);
        }
      }
      if (table.word(e, evicted_reader) != reader) {
        // The duration first: a reader that sees its number there reads it next.
        words.store(table.world_rank, table.layout.subscriber_word(e, evicted_ms), waited_ms);
        words.store(table.world_rank, table.layout.subscriber_word(e, evicted_reader), reader);
      }
    }
  }
  return counts;
}

}  // namespace

std::string waiting_text(const ChannelState& s, std::int64_t iteration, std::int64_t old,
                         std::chrono::nanoseconds waited) {
  std::uint64_t table[max_subscribers * subscriber_words];
  const int claimed = load_subscribers(Words(*s.window), s.world_rank, s.window_layout, table);
  std::string readers;
  for (int e = 0; e < claimed; ++e) {
    const std::uint64_t* entry = table + e * subscriber_words;
    if (entry_holds(entry, old)) {
      readers += (readers.empty() ? "" : ", ") +
                 reader_name(s.producer->runtime(), static_cast<int>(entry[reader] >> 32) - 1);
    }
  }
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.1f", std::chrono::duration<double>(waited).count());
  std::string lease = "none";
  if (s.reader_lease.count() > 0) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f s",
                  std::chrono::duration<double>(s.reader_lease).count());
    lease = text;
  }
  return "publishing iteration " + std::to_string(iteration) + " of stream '" + s.info.name +
         "' has waited " + seconds + " s for " + (readers.empty() ? "a reader" : readers) +
         ", which holds (or has not read) iteration " + std::to_string(old) +
         " (policy block, reader lease " + lease + ")";
}

int evict_holders(const ChannelState& s, std::int64_t old, std::chrono::nanoseconds waited,
                  std::string_view why, Holders which) {
  const Words words(*s.window);
  const auto waited_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()));
  std::uint64_t table[max_subscribers * subscriber_words];
  const int claimed = load_subscribers(words, s.world_rank, s.window_layout, table);
  int evicted_here = 0;
  for (int e = 0; e < claimed; ++e) {
    const std::uint64_t* entry = table + e * subscriber_words;
    const int reader_rank = static_cast<int>(entry[reader] >> 32) - 1;
    if (!entry_holds(entry, old) ||
        (which == Holders::gone && !s.producer->runtime().is_gone(reader_rank))) {
      continue;
    }
    if (evict_reader(s, entry[reader], waited_ms)) {
      ++evicted_here;
      log::warn("stream '", s.info.name, "': evicted reader ",
                reader_name(s.producer->runtime(), reader_rank), ", which held iteration ", old,
                " for ", static_cast<double>(waited_ms) / 1000.0, " s (", why,
                "); the producers go on without it");
    }
  }
  return evicted_here;
}

}  // namespace sluice::channel::detail
