// Several blocks per rank (AMR patches, chunks): validated together, pulled with
// MPI_Get and read in place per block, whole and by selections crossing blocks.
//
// Layouts (--layout, the same for every process of the job):
//   doreisa  2 simulation ranks x 20 blocks of 10 x 10 int64 (Doreisa's protocol):
//            global 40 x 100, rank r owns rows 20r .. 20r + 19 as 2 x 10 blocks
//   uneven   3 simulation ranks with 1, 3 and 6 blocks: global 30 x 60, row band r
//            split into 1, 3 and 6 column blocks (with halos, exposed in reverse order)
// Element (i, j) of iteration k holds k * 100000 + i * 1000 + j. The analytics rank
// reads every iteration through four subscriptions (whole and crossing selections, in
// place and pulled) and checks every element; simulation ranks also check that bad
// block sets are refused the same way on every rank.
#include <mpi.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/shm/tap.hpp"

using namespace sluice;
using namespace sluice::channel;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t iterations = 6;

std::int64_t value(std::int64_t k, std::int64_t i, std::int64_t j) {
  return k * 100000 + i * 1000 + j;
}

std::string layout_name() {
  const char* name = std::getenv("SLUICE_TEST_BLOCKS");
  return name == nullptr ? "doreisa" : name;
}

Extents global_shape() { return layout_name() == "doreisa" ? Extents{40, 100} : Extents{30, 60}; }

// This simulation rank's blocks, with a halo of one cell in the uneven layout.
std::vector<Layout> blocks_of(int rank) {
  std::vector<Layout> blocks;
  const Extents shape = global_shape();
  if (layout_name() == "doreisa") {
    for (std::int64_t a = 0; a < 2; ++a) {
      for (std::int64_t b = 0; b < 10; ++b) {
        blocks.push_back({shape, {rank * 20 + a * 10, b * 10}, {10, 10}, {}, {}});
      }
    }
    return blocks;
  }
  const std::int64_t split = rank == 0 ? 1 : rank == 1 ? 3 : 6;
  const std::int64_t width = 60 / split;
  for (std::int64_t b = split - 1; b >= 0; --b) {  // reverse order: order is the rank's
    blocks.push_back({shape, {rank * 10, b * width}, {10, width}, {12, width + 2}, {1, 1}});
  }
  return blocks;
}

void fill(std::int64_t* local, const Layout& l, std::int64_t k) {
  const std::int64_t row = l.local_shape[1];
  for (std::int64_t i = 0; i < l.block_count[0]; ++i) {
    for (std::int64_t j = 0; j < l.block_count[1]; ++j) {
      local[(i + l.local_offset[0]) * row + j + l.local_offset[1]] =
          value(k, l.block_start[0] + i, l.block_start[1] + j);
    }
  }
}

// Elements of the step (data()) that are not iteration k's values of `selection`.
std::int64_t wrong_elements(std::span<const std::int64_t> data, const Selection& selection,
                            std::int64_t k) {
  std::int64_t wrong = 0;
  std::size_t at = 0;
  for (std::int64_t a = 0; a < selection.count[0]; ++a) {
    for (std::int64_t b = 0; b < selection.count[1]; ++b) {
      const std::int64_t i = selection.start[0] + a * selection.every[0];
      const std::int64_t j = selection.start[1] + b * selection.every[1];
      wrong += data[at++] != value(k, i, j);
    }
  }
  return wrong;
}

// The same, read from the step's in-place blocks without assembling.
std::int64_t wrong_in_blocks(const Step& step, const Selection& selection, std::int64_t k) {
  std::int64_t wrong = 0;
  std::int64_t seen = 0;
  for (const auto& block : step.blocks()) {
    const auto* first = static_cast<const std::int64_t*>(block.data);
    for (std::int64_t a = 0; a < block.count[0]; ++a) {
      for (std::int64_t b = 0; b < block.count[1]; ++b) {
        const std::int64_t i =
            selection.start[0] + (block.result_start[0] + a) * selection.every[0];
        const std::int64_t j =
            selection.start[1] + (block.result_start[1] + b) * selection.every[1];
        wrong += first[a * block.strides[0] + b * block.strides[1]] != value(k, i, j);
        ++seen;
      }
    }
  }
  return wrong + (seen == selection.elements() ? 0 : 1);
}

}  // namespace

SLUICE_MPI_TEST(several_blocks_per_rank_read_whole_and_across_blocks) {
  Runtime rt(testing::role(), {.required_roles = {Role::simulation, Role::analytics}});
  const int producers = static_cast<int>(rt.ranks_of(Role::simulation).size());
  if (rt.role() == Role::simulation) {
    Bridge bridge(rt);
    const int rank = rt.comm().rank();

    // Refused alike on every rank: overlapping blocks inside rank 1, then a gap.
    auto overlapping = blocks_of(rank);
    if (rank == 1) {
      for (auto& block : overlapping) {
        if (block.block_start[1] > 0) {
          block.block_start[1] -= 1;  // into its left neighbour, also rank 1's
          break;
        }
      }
    }
    try {
      (void)bridge.expose<std::int64_t>("bad", std::span<const Layout>(overlapping));
      EXPECT_TRUE(false);
    } catch (const InvalidArgument& e) {
      EXPECT_TRUE(std::strstr(e.what(), "overlap") != nullptr);
    }
    auto gap = blocks_of(rank);
    gap.pop_back();
    try {
      (void)bridge.expose<std::int64_t>("gap", std::span<const Layout>(gap));
      EXPECT_TRUE(false);
    } catch (const InvalidArgument& e) {
      EXPECT_TRUE(std::strstr(e.what(), "gaps") != nullptr);
    }

    const auto blocks = blocks_of(rank);
    auto& field =
        bridge.expose<std::int64_t>("field", std::span<const Layout>(blocks), {3, Policy::block});
    EXPECT_EQ(field.blocks(), blocks.size());
    // The analytics rank also taps the job from shared memory, as an external reader.
    bridge.start();
    if (rank == 0) {
      char job[16] = {};
      bridge.job_id().copy(job, sizeof(job) - 1);
      MPI_Send(job, sizeof(job), MPI_CHAR, rt.ranks_of(Role::analytics).front(), 5, MPI_COMM_WORLD);
    }
    // Copies for odd iterations, zero-copy slots for even ones.
    std::vector<std::vector<std::int64_t>> locals;
    for (const auto& block : blocks) {
      locals.emplace_back(static_cast<std::size_t>(block.normalized().local_elements()), -1);
    }
    for (std::int64_t k = 0; k < iterations; ++k) {
      if (k % 2 == 1) {
        std::vector<const std::int64_t*> pointers;
        for (std::size_t b = 0; b < blocks.size(); ++b) {
          fill(locals[b].data(), field.layout(b), k);
          pointers.push_back(locals[b].data());
        }
        field.publish(k, std::span<const std::int64_t* const>(pointers));
      } else {
        for (std::size_t b = 0; b < blocks.size(); ++b) {
          fill(field.slot<std::int64_t>(k, b), field.layout(b), k);
        }
        field.commit(k);
      }
      bridge.end_iteration(k);
    }
    if (field.blocks() > 1) {
      EXPECT_THROW_WITH(field.publish(iterations, locals[0].data()), InvalidArgument, "block(s)");
    }
    bridge.close();
  } else {
    Consumer consumer(rt);
    const Extents shape = global_shape();
    const Selection whole = Selection::all(shape);
    // Crossing blocks and ranks; and strided, crossing them with gaps.
    const Selection crossing{{5, 7}, {shape[0] - 10, shape[1] - 20}, {1, 1}};
    const Selection strided{{1, 2}, {(shape[0] - 2) / 3, (shape[1] - 3) / 7}, {3, 7}};
    auto& in_place = consumer.subscribe<std::int64_t>("field", whole);
    auto& crossing_in_place = consumer.subscribe<std::int64_t>("field", crossing);
    auto& pulled = consumer.subscribe<std::int64_t>("field", whole);
    auto& strided_pulled = consumer.subscribe<std::int64_t>("field", strided);
    pulled.force_remote();
    strided_pulled.force_remote();
    const std::size_t blocks = layout_name() == "doreisa" ? 40 : 10;
    EXPECT_EQ(in_place.blocks(), blocks);
    EXPECT_EQ(in_place.producers(), static_cast<std::size_t>(producers));
    consumer.start();
    char job[16] = {};
    MPI_Recv(job, sizeof(job), MPI_CHAR, rt.ranks_of(Role::simulation).front(), 5, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    // Its heartbeat makes the producers mirror every block from now on.
    shm::Tap tap(job, "field");
    EXPECT_EQ(tap.info().blocks.size(), layout_name() == "doreisa" ? 40u : 10u);
    for (std::int64_t k = 0; k < iterations; ++k) {
      auto step = in_place.next(30s);
      EXPECT_TRUE(step.ok() && step.iteration() == k);
      if (!step.ok()) {
        break;
      }
      if (in_place.reads_in_place()) {
        EXPECT_EQ(step.blocks().size(), blocks);
        EXPECT_EQ(wrong_in_blocks(step, whole, k), 0);
      }
      EXPECT_EQ(wrong_elements(step.data<std::int64_t>(), whole, k), 0);
      auto crossing_step = crossing_in_place.next(30s);
      EXPECT_TRUE(crossing_step.ok() && crossing_step.iteration() == k);
      if (crossing_step.ok() && crossing_in_place.reads_in_place()) {
        EXPECT_EQ(wrong_in_blocks(crossing_step, crossing, k), 0);
      }
      if (crossing_step.ok()) {
        EXPECT_EQ(wrong_elements(crossing_step.data<std::int64_t>(), crossing, k), 0);
      }
      auto pulled_step = pulled.next(30s);
      EXPECT_TRUE(pulled_step.ok() && pulled_step.iteration() == k && !pulled_step.in_place());
      if (pulled_step.ok()) {
        EXPECT_EQ(wrong_elements(pulled_step.data<std::int64_t>(), whole, k), 0);
      }
      auto strided_step = strided_pulled.next(30s);
      EXPECT_TRUE(strided_step.ok() && strided_step.iteration() == k);
      if (strided_step.ok()) {
        EXPECT_EQ(wrong_elements(strided_step.data<std::int64_t>(), strided, k), 0);
      }
    }
    EXPECT_TRUE(in_place.next(30s).status() == StepStatus::end_of_stream);
    // The tap reads the last iteration whole from the blocks' mirrors.
    std::vector<std::int64_t> tapped(static_cast<std::size_t>(whole.elements()));
    const auto got = tap.read_latest({}, tapped.data(), tapped.size() * sizeof(std::int64_t), 10s);
    EXPECT_TRUE(got.status == shm::TapStatus::ok && got.iteration == iterations - 1);
    EXPECT_EQ(wrong_elements(tapped, whole, iterations - 1), 0);
    EXPECT_EQ(pulled.counters().bytes_pulled,
              static_cast<std::uint64_t>(iterations * whole.elements() * 8));
    const auto progress = consumer.progress("field");
    EXPECT_EQ(progress.producers.size(), static_cast<std::size_t>(producers));
    EXPECT_EQ(progress.published, static_cast<std::uint64_t>(iterations));
    // The refused streams never reached the catalog.
    EXPECT_EQ(consumer.discover().size(), 1u);
    consumer.close();
  }
  rt.free();
}
