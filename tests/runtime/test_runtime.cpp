// Runtime in a valid job. meson runs this both SPMD (every process a simulation
// rank) and MPMD (simulation, analytics, scheduler and service processes), passing
// each process's role with --role.
#include <mpi.h>

#include <string>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/runtime/runtime.hpp"

using namespace sluice;

namespace {

std::string declared() {
  return testing::role().empty() ? std::string("simulation") : std::string(testing::role());
}

// What every process declared, gathered independently of the Runtime.
std::vector<Role> declared_by_everyone() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int mine = static_cast<int>(parse_role(declared()).value());
  std::vector<int> codes(static_cast<std::size_t>(size));
  MPI_Allgather(&mine, 1, MPI_INT, codes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::vector<Role> roles;
  for (int code : codes) {
    roles.push_back(static_cast<Role>(code));
  }
  return roles;
}

}  // namespace

SLUICE_MPI_TEST(every_process_learns_every_role) {
  const auto expected = declared_by_everyone();
  Runtime runtime(declared());
  EXPECT_TRUE(runtime.role() == parse_role(declared()).value());
  EXPECT_EQ(runtime.world_size(), static_cast<int>(expected.size()));
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  EXPECT_EQ(runtime.world_rank(), world_rank);
  EXPECT_EQ(runtime.world().rank(), world_rank);
  for (Role role : all_roles) {
    std::vector<int> ranks;
    for (std::size_t r = 0; r < expected.size(); ++r) {
      if (expected[r] == role) {
        ranks.push_back(static_cast<int>(r));
      }
    }
    const auto got = runtime.ranks_of(role);
    EXPECT_EQ(std::vector<int>(got.begin(), got.end()) == ranks, true);
    EXPECT_EQ(runtime.has(role), !ranks.empty());
  }
  for (std::size_t r = 0; r < expected.size(); ++r) {
    EXPECT_TRUE(runtime.role_of(static_cast<int>(r)) == expected[r]);
  }
  EXPECT_THROW_WITH((void)runtime.role_of(runtime.world_size()), InvalidArgument,
                    "world ranks 0 to");
  runtime.free();
}

SLUICE_MPI_TEST(role_communicator_holds_exactly_the_role_in_world_order) {
  Runtime runtime(declared());
  const auto members = runtime.ranks_of(runtime.role());
  EXPECT_EQ(runtime.comm().size(), static_cast<int>(members.size()));
  // Rank i of the role communicator is the i-th world rank of that role.
  EXPECT_EQ(members[static_cast<std::size_t>(runtime.comm().rank())], runtime.world_rank());
  std::vector<int> world_ranks(members.size());
  const int me = runtime.world_rank();
  MPI_Allgather(&me, 1, MPI_INT, world_ranks.data(), 1, MPI_INT, runtime.comm().get());
  EXPECT_EQ(std::vector<int>(members.begin(), members.end()) == world_ranks, true);
  // The runtime's world is a private duplicate, not MPI_COMM_WORLD itself.
  int result = MPI_UNEQUAL;
  MPI_Comm_compare(runtime.world().get(), MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);
  runtime.free();
}

SLUICE_MPI_TEST(log_lines_are_prefixed_with_role_and_role_rank) {
  Runtime runtime(declared());
  const std::string expected =
      "[sluice " + declared() + " " + std::to_string(runtime.comm().rank()) + "]";
  EXPECT_EQ(log::prefix(), expected);
  runtime.free();
}

SLUICE_MPI_TEST(runtimes_can_be_created_again_after_free) {
  for (int round = 0; round < 3; ++round) {
    Runtime runtime(declared());
    EXPECT_EQ(runtime.world().size(), runtime.world_size());
  }  // the destructor frees the communicators
}
