// check_mpi and the environment: failing MPI calls become MpiError naming the call.
#include <mpi.h>

#include <string>

#include "../harness/mpi_test.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/mpi/window.hpp"

using namespace sluice;

SLUICE_MPI_TEST(success_does_not_throw) { check_mpi(MPI_SUCCESS, "MPI_Barrier"); }

SLUICE_MPI_TEST(failure_names_the_call_the_class_and_the_hint) {
  bool thrown = false;
  try {
    check_mpi(MPI_ERR_RANK, "MPI_Get", "pulling block 3 of stream 'T'");
  } catch (const MpiError& e) {
    thrown = true;
    EXPECT_EQ(e.call(), std::string("MPI_Get"));
    EXPECT_EQ(e.code(), MPI_ERR_RANK);
    EXPECT_EQ(e.error_class(), MPI_ERR_RANK);
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("pulling block 3 of stream 'T': MPI_Get failed", 0), 0u);
    // MPI's own description of MPI_ERR_RANK is part of the message.
    char description[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(MPI_ERR_RANK, description, &length);
    EXPECT_TRUE(what.find(std::string(description, static_cast<std::size_t>(length))) !=
                std::string::npos);
  }
  EXPECT_TRUE(thrown);
}

SLUICE_MPI_TEST(a_real_failing_call_raises_mpi_error) {
  // Comms sluice creates return errors instead of aborting the job: a send to a
  // rank that does not exist must come back as MpiError.
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  int value = 0;
  const int missing_rank = comm.size() + 5;
  EXPECT_THROW_WITH(check_mpi(MPI_Send(&value, 1, MPI_INT, missing_rank, 0, comm.get()), "MPI_Send",
                              "sending to a missing rank"),
                    MpiError, "MPI_Send failed");
  comm.free();
}

SLUICE_MPI_TEST(window_errors_return_instead_of_aborting) {
  // Windows sluice creates return errors too: opening a second lock_all epoch
  // while one is open is an RMA synchronisation error.
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, 64);
  {
    auto epoch = window.lock_all();
    EXPECT_THROW_WITH((void)window.lock_all(), MpiError, "MPI_Win_lock_all failed");
  }
  window.free();
  comm.free();
}

SLUICE_MPI_TEST(environment_joins_an_initialised_mpi_without_owning_it) {
  // main() already initialised MPI; a second Environment must borrow it.
  mpi::Environment again(mpi::ThreadLevel::single);
  EXPECT_TRUE(!again.initialised_here());
  EXPECT_TRUE(again.provided() >= mpi::ThreadLevel::funneled);
  EXPECT_TRUE(mpi::Environment::is_initialized());
  EXPECT_TRUE(!mpi::Environment::is_finalized());
}

SLUICE_MPI_TEST(environment_refuses_a_thread_level_mpi_does_not_provide) {
  int provided = 0;
  MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_MULTIPLE) {
    EXPECT_THROW_WITH(mpi::Environment(mpi::ThreadLevel::multiple), Error, "MPI provides only");
  } else {
    mpi::Environment fine(mpi::ThreadLevel::multiple);
    EXPECT_TRUE(fine.provided() == mpi::ThreadLevel::multiple);
  }
}

SLUICE_MPI_TEST(thread_levels_map_to_mpi_constants_and_back) {
  for (auto level : {mpi::ThreadLevel::single, mpi::ThreadLevel::funneled,
                     mpi::ThreadLevel::serialized, mpi::ThreadLevel::multiple}) {
    EXPECT_TRUE(mpi::from_mpi(mpi::to_mpi(level)) == level);
  }
  EXPECT_EQ(mpi::thread_level_name(mpi::ThreadLevel::funneled),
            std::string_view("MPI_THREAD_FUNNELED"));
}
