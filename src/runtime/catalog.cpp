#include "sluice/runtime/catalog.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstring>

#include "sluice/core/error.hpp"
#include "sluice/mpi/atomic_words.hpp"
#include "sluice/mpi/check.hpp"

namespace sluice {

namespace {

// An entry of a process's table, as it lies in the pool.
struct EntryRecord {
  std::uint64_t offset;  // of the description, in the publisher's pool
  std::uint64_t bytes;
  char name[Catalog::max_name_bytes + 1];
};

constexpr MPI_Aint count_word = 0;
constexpr std::size_t entries_offset = 64;

MPI_Aint entry_offset(std::uint64_t entry) {
  return static_cast<MPI_Aint>(entries_offset + entry * sizeof(EntryRecord));
}

}  // namespace

std::size_t Catalog::table_bytes() noexcept {
  return (entries_offset + max_entries * sizeof(EntryRecord) + 63) / 64 * 64;
}

Catalog::Catalog(Pool& pool, int world_rank, int world_size)
    : m_pool(&pool),
      m_world_rank(world_rank),
      m_world_size(world_size),
      m_seen(static_cast<std::size_t>(world_size), 0) {
  // The first reservation of every pool: the table sits at offset 0 everywhere.
  const std::size_t offset = pool.reserve(table_bytes(), "the stream catalog");
  if (offset != 0) {
    throw StateError("creating the stream catalog", "the pool was already in use");
  }
}

void Catalog::publish(std::string_view name, std::span<const std::byte> description) {
  const std::string asked = "publishing '" + std::string(name) + "' in the catalog";
  if (name.empty() || name.size() > max_name_bytes) {
    throw InvalidArgument(asked,
                          "names have 1 to " + std::to_string(max_name_bytes) + " characters");
  }
  for (const auto& entry : m_entries) {
    if (entry.world_rank == m_world_rank && entry.name == name) {
      throw InvalidArgument(asked, "this process published that name already");
    }
  }
  if (m_published >= max_entries) {
    throw StateError(asked, "this process published " + std::to_string(max_entries) +
                                " entries, the most it can");
  }
  const std::size_t offset = m_pool->reserve(std::max<std::size_t>(description.size(), 1), asked);
  std::memcpy(m_pool->local(offset), description.data(), description.size());
  EntryRecord record{};
  record.offset = offset;
  record.bytes = description.size();
  std::memcpy(record.name, name.data(), name.size());
  std::memcpy(m_pool->local(
                  static_cast<std::size_t>(entry_offset(static_cast<std::uint64_t>(m_published)))),
              &record, sizeof(record));
  // The description and the entry are in the window before the count says so.
  const mpi::Window& window = m_pool->window();
  window.sync();
  const auto count = static_cast<std::uint64_t>(++m_published);
  mpi::AtomicWords(window, "a catalog count").store(m_world_rank, count_word, count);
  // Our own entry is known at once (and a second publish of the name is refused).
  (void)refresh();
}

const std::vector<Catalog::Entry>& Catalog::refresh() {
  const mpi::Window& window = m_pool->window();
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(m_world_size), 0);
  const mpi::AtomicWords words(window, "a catalog count");
  for (int rank = 0; rank < m_world_size; ++rank) {
    counts[static_cast<std::size_t>(rank)] = words.load(rank, count_word);
  }
  std::vector<EntryRecord> records;
  for (int rank = 0; rank < m_world_size; ++rank) {
    auto& seen = m_seen[static_cast<std::size_t>(rank)];
    const std::uint64_t count =
        std::min<std::uint64_t>(counts[static_cast<std::size_t>(rank)], max_entries);
    if (count <= seen) {
      continue;
    }
    records.resize(count - seen);
    const auto bytes = static_cast<int>(records.size() * sizeof(EntryRecord));
    check_mpi(MPI_Get(records.data(), bytes, MPI_BYTE, rank, entry_offset(seen), bytes, MPI_BYTE,
                      window.get()),
              "MPI_Get", "reading the catalog of a process");
    window.flush(rank);
    for (const auto& record : records) {
      Entry entry;
      entry.world_rank = rank;
      entry.name.assign(record.name, strnlen(record.name, sizeof(record.name)));
      entry.description.resize(record.bytes);
      if (record.bytes > 0) {
        check_mpi(MPI_Get(entry.description.data(), static_cast<int>(record.bytes), MPI_BYTE, rank,
                          static_cast<MPI_Aint>(record.offset), static_cast<int>(record.bytes),
                          MPI_BYTE, window.get()),
                  "MPI_Get", "reading a stream description");
      }
      m_entries.push_back(std::move(entry));
    }
    window.flush(rank);
    seen = count;
  }
  return m_entries;
}

}  // namespace sluice
