#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/window.hpp"

using namespace sluice;

namespace {
constexpr std::size_t values_per_rank = 1024;

double value_at(int rank, std::size_t index) { return rank * 1.0e6 + static_cast<double>(index); }
}  // namespace

SLUICE_MPI_TEST(allocate_gives_memory_of_the_requested_size) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, values_per_rank * sizeof(double), sizeof(double));
  EXPECT_TRUE(!window.is_null());
  EXPECT_TRUE(window.base() != nullptr);
  EXPECT_EQ(window.size_bytes(), values_per_rank * sizeof(double));
  EXPECT_TRUE(!window.is_shared());
  MPI_Errhandler handler = MPI_ERRHANDLER_NULL;
  MPI_Win_get_errhandler(window.get(), &handler);
  EXPECT_TRUE(handler == MPI_ERRORS_RETURN);
  MPI_Errhandler_free(&handler);
  window.free();
  EXPECT_TRUE(window.is_null());
  comm.free();
}

SLUICE_MPI_TEST(get_from_every_rank_inside_one_lock_all_epoch) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, values_per_rank * sizeof(double), sizeof(double));
  auto* mine = reinterpret_cast<double*>(window.base());
  for (std::size_t i = 0; i < values_per_rank; ++i) {
    mine[i] = value_at(comm.rank(), i);
  }
  {
    auto epoch = window.lock_all();
    window.sync();  // local stores visible to remote readers
    comm.barrier();
    std::vector<double> pulled(values_per_rank * static_cast<std::size_t>(comm.size()));
    for (int target = 0; target < comm.size(); ++target) {
      check_mpi(MPI_Get(pulled.data() + static_cast<std::size_t>(target) * values_per_rank,
                        values_per_rank, MPI_DOUBLE, target, 0, values_per_rank, MPI_DOUBLE,
                        window.get()),
                "MPI_Get");
    }
    window.flush_all();
    int wrong = 0;
    for (int target = 0; target < comm.size(); ++target) {
      for (std::size_t i = 0; i < values_per_rank; ++i) {
        wrong +=
            pulled[static_cast<std::size_t>(target) * values_per_rank + i] != value_at(target, i);
      }
    }
    EXPECT_EQ(wrong, 0);
    comm.barrier();  // nobody unlocks while others still read
    epoch.unlock();
    EXPECT_TRUE(!epoch.is_open());
    EXPECT_THROW_WITH(epoch.unlock(), StateError, "already closed");
  }
  window.free();
  comm.free();
}

SLUICE_MPI_TEST(atomic_counters_in_a_window_count_every_increment) {
  // The channel protocol orders access with atomics; check them under contention:
  // every rank adds 1 to rank 0's counter 100 times.
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, sizeof(std::uint64_t), sizeof(std::uint64_t));
  *reinterpret_cast<std::uint64_t*>(window.base()) = 0;
  comm.barrier();
  auto epoch = window.lock_all();
  const std::uint64_t one = 1;
  for (int i = 0; i < 100; ++i) {
    check_mpi(MPI_Accumulate(&one, 1, MPI_UINT64_T, 0, 0, 1, MPI_UINT64_T, MPI_SUM, window.get()),
              "MPI_Accumulate");
  }
  window.flush(0);
  comm.barrier();
  std::uint64_t total = 0;
  const std::uint64_t unused = 0;
  check_mpi(MPI_Fetch_and_op(&unused, &total, MPI_UINT64_T, 0, 0, MPI_NO_OP, window.get()),
            "MPI_Fetch_and_op");
  window.flush(0);
  EXPECT_EQ(total, 100u * static_cast<std::uint64_t>(comm.size()));
  comm.barrier();
  epoch.unlock();
  window.free();
  comm.free();
}

SLUICE_MPI_TEST(shared_window_is_readable_in_place_by_every_rank_of_the_node) {
  auto node = mpi::Comm::borrow(MPI_COMM_WORLD).split_shared();
  auto window =
      mpi::Window::allocate_shared(node, values_per_rank * sizeof(double), sizeof(double));
  EXPECT_TRUE(window.is_shared());
  auto* mine = reinterpret_cast<double*>(window.base());
  for (std::size_t i = 0; i < values_per_rank; ++i) {
    mine[i] = value_at(node.rank(), i);
  }
  {
    auto epoch = window.lock_all();
    window.sync();
    node.barrier();
    window.sync();
    int wrong = 0;
    for (int peer = 0; peer < node.size(); ++peer) {
      const auto segment = window.shared_query(peer);
      EXPECT_EQ(segment.size_bytes, values_per_rank * sizeof(double));
      EXPECT_EQ(segment.disp_unit, static_cast<int>(sizeof(double)));
      const auto* theirs = reinterpret_cast<const double*>(segment.base);
      for (std::size_t i = 0; i < values_per_rank; ++i) {
        wrong += theirs[i] != value_at(peer, i);
      }
    }
    EXPECT_EQ(wrong, 0);
    node.barrier();
  }
  window.free();
  node.free();
}

SLUICE_MPI_TEST(zero_byte_windows_are_allowed_for_pure_readers) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  const std::size_t bytes = comm.rank() == 0 ? 64 : 0;
  auto window = mpi::Window::allocate(comm, bytes);
  EXPECT_EQ(window.size_bytes(), bytes);
  window.free();
  comm.free();
}

SLUICE_MPI_TEST(invalid_uses_are_clear_errors) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  EXPECT_THROW_WITH(mpi::Window::allocate(comm, 64, 0), InvalidArgument, "disp_unit");
  auto plain = mpi::Window::allocate(comm, 64);
  EXPECT_THROW_WITH((void)plain.shared_query(0), StateError, "allocate_shared");
  plain.free();
  EXPECT_THROW_WITH(plain.free(), StateError, "null");
  EXPECT_THROW_WITH(plain.sync(), StateError, "null");
  mpi::Comm null_comm;
  EXPECT_THROW_WITH(mpi::Window::allocate(null_comm, 64), StateError, "null");
  comm.free();
}

SLUICE_MPI_TEST(moving_a_window_keeps_its_memory) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto a = mpi::Window::allocate(comm, 128);
  std::byte* const base = a.base();
  mpi::Window b(std::move(a));
  EXPECT_TRUE(a.is_null());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b.base() == base);
  EXPECT_EQ(b.size_bytes(), 128u);
  b.free();
  comm.free();
}
