#include "sluice/mpi/atomic_words.hpp"

#include <atomic>
#include <string>

#include "sluice/mpi/check.hpp"

namespace sluice::mpi {

namespace {

// The hint is assembled only on failure: these calls sit on the channels' hot paths.
void check(int rc, std::string_view call, std::string_view doing, std::string_view what) {
  if (rc != MPI_SUCCESS) [[unlikely]] {
    std::string hint(doing);
    hint += ' ';
    hint += what;
    check_mpi(rc, call, hint);
  }
}

}  // namespace

static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free,
              "words shared between processes must be lock-free atomics");

std::uint64_t AtomicWords::load(int rank, MPI_Aint word) const {
  if (m_window->is_shared()) {
    return std::atomic_ref<std::uint64_t>(mapped(rank, word)).load();
  }
  const std::uint64_t unused = 0;
  std::uint64_t value = 0;
  check(MPI_Fetch_and_op(&unused, &value, MPI_UINT64_T, rank, offset(word), MPI_NO_OP,
                         m_window->get()),
        "MPI_Fetch_and_op", "reading", m_what);
  m_window->flush(rank);
  return value;
}

void AtomicWords::load_many(int rank, MPI_Aint first_word, int count, std::uint64_t* out) const {
  if (m_window->is_shared()) {
    for (int i = 0; i < count; ++i) {
      out[i] = std::atomic_ref<std::uint64_t>(mapped(rank, first_word + i)).load();
    }
    return;
  }
  check(MPI_Get_accumulate(nullptr, 0, MPI_UINT64_T, out, count, MPI_UINT64_T, rank,
                           offset(first_word), count, MPI_UINT64_T, MPI_NO_OP, m_window->get()),
        "MPI_Get_accumulate", "reading", m_what);
  m_window->flush(rank);
}

void AtomicWords::store(int rank, MPI_Aint word, std::uint64_t value) const {
  if (m_window->is_shared()) {
    std::atomic_ref<std::uint64_t>(mapped(rank, word)).store(value);
    return;
  }
  check(MPI_Accumulate(&value, 1, MPI_UINT64_T, rank, offset(word), 1, MPI_UINT64_T, MPI_REPLACE,
                       m_window->get()),
        "MPI_Accumulate", "writing", m_what);
  m_window->flush(rank);
}

void AtomicWords::store_many(int rank, MPI_Aint first_word, int count,
                             const std::uint64_t* values) const {
  if (m_window->is_shared()) {
    for (int i = 0; i < count; ++i) {
      std::atomic_ref<std::uint64_t>(mapped(rank, first_word + i)).store(values[i]);
    }
    return;
  }
  check(MPI_Accumulate(values, count, MPI_UINT64_T, rank, offset(first_word), count, MPI_UINT64_T,
                       MPI_REPLACE, m_window->get()),
        "MPI_Accumulate", "writing", m_what);
  m_window->flush(rank);
}

void AtomicWords::store_pair(int rank, MPI_Aint first_word, std::uint64_t first,
                             std::uint64_t second) const {
  const std::uint64_t values[2] = {first, second};
  store_many(rank, first_word, 2, values);
}

std::uint64_t AtomicWords::add(int rank, MPI_Aint word, std::uint64_t value) const {
  if (m_window->is_shared()) {
    return std::atomic_ref<std::uint64_t>(mapped(rank, word)).fetch_add(value);
  }
  std::uint64_t previous = 0;
  check(MPI_Fetch_and_op(&value, &previous, MPI_UINT64_T, rank, offset(word), MPI_SUM,
                         m_window->get()),
        "MPI_Fetch_and_op", "adding to", m_what);
  m_window->flush(rank);
  return previous;
}

}  // namespace sluice::mpi
