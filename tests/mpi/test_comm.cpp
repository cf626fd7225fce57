#include <mpi.h>

#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/comm.hpp"

using namespace sluice;

namespace {
int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}
int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}
int errhandler_is_errors_return(MPI_Comm comm) {
  MPI_Errhandler handler = MPI_ERRHANDLER_NULL;
  MPI_Comm_get_errhandler(comm, &handler);
  const bool is_return = handler == MPI_ERRORS_RETURN;
  MPI_Errhandler_free(&handler);
  return is_return ? 1 : 0;
}
}  // namespace

SLUICE_MPI_TEST(borrowed_world_reports_rank_and_size_and_is_never_freed) {
  {
    auto world = mpi::Comm::borrow(MPI_COMM_WORLD);
    EXPECT_TRUE(!world.is_owned());
    EXPECT_EQ(world.rank(), world_rank());
    EXPECT_EQ(world.size(), world_size());
    world.free();  // releases, does not free MPI_COMM_WORLD
    EXPECT_TRUE(world.is_null());
  }
  // MPI_COMM_WORLD still works after the borrowed handle was released and destroyed.
  EXPECT_EQ(MPI_Barrier(MPI_COMM_WORLD), MPI_SUCCESS);
}

SLUICE_MPI_TEST(dup_is_owned_and_returns_errors) {
  auto world = mpi::Comm::borrow(MPI_COMM_WORLD);
  auto dup = world.dup();
  EXPECT_TRUE(dup.is_owned());
  EXPECT_EQ(dup.size(), world_size());
  EXPECT_EQ(errhandler_is_errors_return(dup.get()), 1);
  int result = MPI_UNEQUAL;
  MPI_Comm_compare(dup.get(), MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);
  dup.free();
  EXPECT_TRUE(dup.is_null());
}

SLUICE_MPI_TEST(split_groups_by_color_and_orders_by_key) {
  auto world = mpi::Comm::borrow(MPI_COMM_WORLD);
  const int color = world_rank() % 2;
  // Reverse order within each half.
  auto half = world.split(color, world_size() - world_rank());
  const int expected_size = (world_size() + (color == 0 ? 1 : 0)) / 2;
  EXPECT_EQ(half.size(), expected_size);
  std::vector<int> members(static_cast<std::size_t>(half.size()));
  const int me = world_rank();
  MPI_Allgather(&me, 1, MPI_INT, members.data(), 1, MPI_INT, half.get());
  for (std::size_t i = 1; i < members.size(); ++i) {
    EXPECT_TRUE(members[i - 1] > members[i]);
    EXPECT_EQ(members[i] % 2, color);
  }
  EXPECT_EQ(errhandler_is_errors_return(half.get()), 1);
  half.free();
}

SLUICE_MPI_TEST(split_with_undefined_color_gives_a_null_comm) {
  auto world = mpi::Comm::borrow(MPI_COMM_WORLD);
  auto part = world.split(world_rank() == 0 ? 0 : MPI_UNDEFINED, 0);
  EXPECT_EQ(part.is_null(), world_rank() != 0);
  if (part.is_null()) {
    EXPECT_THROW_WITH((void)part.rank(), StateError, "null");
  } else {
    EXPECT_EQ(part.size(), 1);
    part.free();
  }
}

SLUICE_MPI_TEST(split_shared_puts_this_single_node_job_together) {
  auto world = mpi::Comm::borrow(MPI_COMM_WORLD);
  auto node = world.split_shared();
  // The tests run on one machine: the whole job shares memory.
  EXPECT_EQ(node.size(), world_size());
  node.free();
}

SLUICE_MPI_TEST(moving_transfers_ownership) {
  auto world = mpi::Comm::borrow(MPI_COMM_WORLD);
  auto a = world.dup();
  const MPI_Comm raw = a.get();
  mpi::Comm b(std::move(a));
  EXPECT_TRUE(a.is_null());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(b.get() == raw);
  EXPECT_TRUE(b.is_owned());
  mpi::Comm c;
  c = std::move(b);
  EXPECT_TRUE(c.get() == raw);
  c.barrier();
  c.free();
}

SLUICE_MPI_TEST(freeing_twice_is_a_state_error) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  comm.free();
  EXPECT_THROW_WITH(comm.free(), StateError, "free() on a communicator");
}
