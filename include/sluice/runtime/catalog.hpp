#pragma once
/// @file
/// sluice::Catalog: named descriptions (of streams) that any process publishes on its
/// own and every process of the job reads one-sided, at any time.
///
/// Each process keeps a table at the start of its pool: a count word, then up to
/// `max_entries` entries {name, where the description lies in its pool, its size}. A
/// process publishes by writing the description and the entry into its own pool, then
/// raising its count atomically; a reader loads each process's count (one atomic per
/// process) and gets the entries it has not seen (MPI_Get). Nobody waits for anybody:
/// a stream created while the simulation runs becomes visible to every reader without
/// the simulation taking part. Readers see entries in the order each process published
/// them.
///
/// The description is opaque bytes here; the channel module writes stream layouts.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/runtime/pool.hpp"

namespace sluice {

class Catalog {
 public:
  /// Entries one process can publish.
  static constexpr int max_entries = 256;
  static constexpr std::size_t max_name_bytes = 127;
  /// Bytes at the start of every pool that hold the table.
  [[nodiscard]] static std::size_t table_bytes() noexcept;

  /// One published description.
  struct Entry {
    std::string name;
    int world_rank = 0;  ///< the process that published it
    std::vector<std::byte> description;
  };

  /// Takes the table's place at the start of this process's pool (the first
  /// reservation). Local.
  Catalog(Pool& pool, int world_rank, int world_size);

  /// Publishes `description` under `name` from this process. InvalidArgument for an
  /// empty or too long name, or one this process published already; StateError when
  /// its table or pool is full. Local; not thread-safe.
  void publish(std::string_view name, std::span<const std::byte> description);

  /// Every entry published so far by any process: what earlier calls found, then what
  /// is new, each process's entries in the order it published them. Local (one-sided reads of every
  /// process's table: a few atomics and one MPI_Get per process with something new). Remembers what
  /// it read: a later call only reads what is new. Not thread-safe.
  [[nodiscard]] const std::vector<Entry>& refresh();
  /// What the last refresh() returned.
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return m_entries; }

 private:
  Pool* m_pool;
  int m_world_rank;
  int m_world_size;
  int m_published = 0;
  std::vector<std::uint64_t> m_seen;  // per process: entries already read
  std::vector<Entry> m_entries;
};

}  // namespace sluice
