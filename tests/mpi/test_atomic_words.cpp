// sluice::mpi::AtomicWords: fetch-and-add from every rank onto every rank, loads,
// single and grouped stores, across ranks inside one lock_all epoch.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/atomic_words.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/window.hpp"

using namespace sluice;

namespace {
constexpr int words_per_rank = 8;
}  // namespace

SLUICE_MPI_TEST(every_rank_adds_to_every_rank) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, words_per_rank * sizeof(std::uint64_t));
  {
    auto epoch = window.lock_all();
    const mpi::AtomicWords words(window, "a test word");
    for (int w = 0; w < words_per_rank; ++w) {
      words.store(comm.rank(), w, 0);
    }
    comm.barrier();
    const auto size = static_cast<std::uint64_t>(comm.size());
    int wrong = 0;
    for (int target = 0; target < comm.size(); ++target) {
      const std::uint64_t before = words.add(target, 0, 1);
      wrong += before >= size ? 1 : 0;  // some of the others' adds, never more
      words.add(target, 1, static_cast<std::uint64_t>(comm.rank()) + 1);
    }
    comm.barrier();
    EXPECT_EQ(wrong, 0);
    for (int target = 0; target < comm.size(); ++target) {
      EXPECT_EQ(words.load(target, 0), size);
      EXPECT_EQ(words.load(target, 1), size * (size + 1) / 2);
    }
    comm.barrier();
  }
  window.free();
  comm.free();
}

SLUICE_MPI_TEST(store_many_and_store_pair_land_in_the_neighbours_words) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, words_per_rank * sizeof(std::uint64_t));
  const int right = (comm.rank() + 1) % comm.size();
  const int left = (comm.rank() + comm.size() - 1) % comm.size();
  {
    auto epoch = window.lock_all();
    const mpi::AtomicWords words(window);
    const auto me = static_cast<std::uint64_t>(comm.rank());
    const std::uint64_t values[3] = {me * 100 + 1, me * 100 + 2, me * 100 + 3};
    words.store_many(right, 2, 3, values);
    words.store_pair(right, 6, me + 1000, me + 2000);
    comm.barrier();
    std::uint64_t got[words_per_rank - 2] = {};
    words.load_many(comm.rank(), 2, words_per_rank - 2, got);
    const auto l = static_cast<std::uint64_t>(left);
    EXPECT_EQ(got[0], l * 100 + 1);
    EXPECT_EQ(got[1], l * 100 + 2);
    EXPECT_EQ(got[2], l * 100 + 3);
    EXPECT_EQ(got[4], l + 1000);
    EXPECT_EQ(got[5], l + 2000);
    // Read remotely too: the right neighbour's words hold this rank's values.
    EXPECT_EQ(words.load(right, 3), me * 100 + 2);
    comm.barrier();
  }
  window.free();
  comm.free();
}

SLUICE_MPI_TEST(a_failed_operation_throws_mpi_error_naming_the_words) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, words_per_rank * sizeof(std::uint64_t));
  {
    auto epoch = window.lock_all();
    const mpi::AtomicWords words(window, "a test word");
    EXPECT_THROW_WITH(words.load(comm.size() + 5, 0), MpiError, "reading a test word");
    EXPECT_THROW_WITH(words.add(comm.size() + 5, 0, 1), MpiError, "MPI_Fetch_and_op");
  }
  comm.barrier();
  window.free();
  comm.free();
}
