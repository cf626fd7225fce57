#include <mpi.h>

#include <cstdint>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/datatype.hpp"
#include "sluice/mpi/info.hpp"
#include "sluice/mpi/window.hpp"

using namespace sluice;

SLUICE_MPI_TEST(datatype_of_maps_element_types) {
  EXPECT_TRUE(mpi::datatype_of<double>() == MPI_DOUBLE);
  EXPECT_TRUE(mpi::datatype_of<float>() == MPI_FLOAT);
  EXPECT_TRUE(mpi::datatype_of<std::int32_t>() == MPI_INT32_T);
  EXPECT_TRUE(mpi::datatype_of<std::int64_t>() == MPI_INT64_T);
  EXPECT_TRUE(mpi::datatype_of<std::uint8_t>() == MPI_UINT8_T);
  EXPECT_TRUE(mpi::datatype_of<const double>() == MPI_DOUBLE);
}

SLUICE_MPI_TEST(subarray_describes_a_box_and_its_size) {
  auto box = mpi::Datatype::subarray({4, 6}, {2, 3}, {1, 2}, MPI_DOUBLE);
  EXPECT_TRUE(!box.is_null());
  EXPECT_EQ(box.size_bytes(), static_cast<std::int64_t>(2 * 3 * sizeof(double)));
}

SLUICE_MPI_TEST(subarray_get_pulls_exactly_the_box_from_a_remote_rank) {
  // Each rank exposes a 6 x 8 array with a[i][j] = 1000 * rank + 10 * i + j and pulls
  // the 3 x 4 box starting at (2, 3) from the next rank in one MPI_Get.
  constexpr int rows = 6;
  constexpr int cols = 8;
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, rows * cols * sizeof(double), sizeof(double));
  auto* mine = reinterpret_cast<double*>(window.base());
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      mine[i * cols + j] = 1000.0 * comm.rank() + 10.0 * i + j;
    }
  }
  auto remote_box = mpi::Datatype::subarray({rows, cols}, {3, 4}, {2, 3}, MPI_DOUBLE);
  auto dense = mpi::Datatype::contiguous(12, MPI_DOUBLE);
  const int target = (comm.rank() + 1) % comm.size();
  std::vector<double> pulled(12, -1.0);
  {
    auto epoch = window.lock_all();
    window.sync();
    comm.barrier();
    check_mpi(MPI_Get(pulled.data(), 1, dense.get(), target, 0, 1, remote_box.get(), window.get()),
              "MPI_Get");
    window.flush(target);
    comm.barrier();
  }
  int wrong = 0;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) {
      wrong +=
          pulled[static_cast<std::size_t>(i * 4 + j)] != 1000.0 * target + 10.0 * (2 + i) + (3 + j);
    }
  }
  EXPECT_EQ(wrong, 0);
  window.free();
  comm.free();
}

SLUICE_MPI_TEST(boxes_outside_the_array_are_rejected_with_the_dimension) {
  EXPECT_THROW_WITH(mpi::Datatype::subarray({4, 6}, {2, 3}, {3, 0}, MPI_DOUBLE), InvalidArgument,
                    "dimension 0: the box [3, 5) does not fit in [0, 4)");
  EXPECT_THROW_WITH(mpi::Datatype::subarray({4, 6}, {2, 7}, {0, 0}, MPI_DOUBLE), InvalidArgument,
                    "dimension 1");
  EXPECT_THROW_WITH(mpi::Datatype::subarray({4, 6}, {2, 0}, {0, 0}, MPI_DOUBLE), InvalidArgument,
                    "must both be positive");
  EXPECT_THROW_WITH(mpi::Datatype::subarray({4, 6}, {2}, {0, 0}, MPI_DOUBLE), InvalidArgument,
                    "dimensions");
  EXPECT_THROW_WITH(mpi::Datatype::subarray({4}, {2}, {-1}, MPI_DOUBLE), InvalidArgument,
                    "does not fit");
  EXPECT_THROW_WITH(mpi::Datatype::contiguous(0, MPI_DOUBLE), InvalidArgument, "positive");
}

SLUICE_MPI_TEST(info_keys_round_trip_and_bad_keys_are_rejected) {
  mpi::Info info;
  info.set("no_locks", "false").set("same_disp_unit", "true");
  EXPECT_EQ(info.get("no_locks").value_or(""), std::string("false"));
  EXPECT_EQ(info.get("same_disp_unit").value_or(""), std::string("true"));
  EXPECT_TRUE(!info.get("absent").has_value());
  EXPECT_THROW_WITH(info.set("", "x"), InvalidArgument, "1 to");
  EXPECT_THROW_WITH(info.set(std::string(MPI_MAX_INFO_KEY + 1, 'k'), "x"), InvalidArgument, "key");
  // A window accepts the hints.
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  auto window = mpi::Window::allocate(comm, 64, 1, info);
  EXPECT_EQ(window.size_bytes(), 64u);
  window.free();
  comm.free();
}
