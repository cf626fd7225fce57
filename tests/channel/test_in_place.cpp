// In-place reads on the producers' node: the step's blocks are the producers' slots
// themselves, not a copy, and they stay consistent under a producer that never waits.
//
// Simulation ranks (--role simulation) publish a 6 x 5 field split by rows, with
// halos, element (i, j) of iteration k holding k * 1000 + i * 5 + j. The reader
// (--role analytics) shows:
//   - zero-copy: the block pointers repeat with the slot ring (iteration k and k + depth
//     share a slot, k + 1 does not), and once the producers have reused a slot, the
//     pointer remembered from an older step shows the newer iteration: it points into
//     the producers' memory, not into a copy;
//   - consistency under stress: with Policy::skip and a producer publishing as fast as
//     it can, every element of every step read in place belongs to that step's
//     iteration (a slot is never overwritten while a reader holds it).
#include <mpi.h>

#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"

using namespace sluice;
using namespace sluice::channel;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t rows = 6;
constexpr std::int64_t cols = 5;

double value(std::int64_t k, std::int64_t i, std::int64_t j) {
  return static_cast<double>(k * 1000 + i * cols + j);
}

Layout layout_of(const Runtime& rt) {
  const std::int64_t mine = rows / rt.comm().size();
  return {{rows, cols}, {rt.comm().rank() * mine, 0}, {mine, cols}, {mine + 2, cols + 2}, {1, 1}};
}

void fill(double* local, const Layout& l, std::int64_t k) {
  for (std::int64_t i = 0; i < l.block_count[0]; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      local[(i + 1) * (cols + 2) + j + 1] = value(k, l.block_start[0] + i, j);
    }
  }
}

// Elements of a step's blocks that are not iteration k's.
std::int64_t wrong_elements(const Step& step, std::int64_t k) {
  std::int64_t wrong = 0;
  for (const auto& block : step.blocks()) {
    const auto* first = static_cast<const double*>(block.data);
    for (std::int64_t a = 0; a < block.count[0]; ++a) {
      for (std::int64_t b = 0; b < block.count[1]; ++b) {
        wrong += first[a * block.strides[0] + b * block.strides[1]] !=
                 value(k, block.result_start[0] + a, block.result_start[1] + b);
      }
    }
  }
  return wrong;
}

}  // namespace

SLUICE_MPI_TEST(steps_point_into_the_producers_slots) {
  constexpr int depth = 3;
  constexpr std::int64_t iterations = 12;
  Runtime rt(testing::role());
  if (rt.role() == Role::simulation) {
    Bridge bridge(rt);
    auto& field = bridge.expose<double>("field", layout_of(rt), {depth, Policy::block});
    for (std::int64_t k = 0; k < iterations; ++k) {
      double* slot = field.slot<double>(k);
      fill(slot, field.layout(), k);
      field.commit(k);
      bridge.end_iteration(k);
    }
    bridge.close();
  } else {
    Consumer consumer(rt);
    auto& sub = consumer.subscribe<double>("field");
    EXPECT_TRUE(sub.reads_in_place());
    std::map<std::int64_t, std::vector<const void*>> pointers;  // per iteration, per block
    std::int64_t wrong = 0;
    std::optional<Step> kept;  // the last step, held past the loop
    for (std::int64_t k = 0; k < iterations; ++k) {
      auto step = sub.next(30s);
      if (!step.ok()) {
        EXPECT_TRUE(step.ok());
        break;
      }
      EXPECT_EQ(step.iteration(), k);
      EXPECT_TRUE(step.in_place());
      EXPECT_EQ(step.blocks().size(),
                static_cast<std::size_t>(rt.ranks_of(Role::simulation).size()));
      wrong += wrong_elements(step, k);
      for (const auto& block : step.blocks()) {
        pointers[k].push_back(block.data);
      }
      // The assembled copy (asked for) holds the same values.
      const auto data = step.data<double>();
      for (std::int64_t i = 0; i < rows; ++i) {
        for (std::int64_t j = 0; j < cols; ++j) {
          wrong += data[static_cast<std::size_t>(i * cols + j)] != value(k, i, j);
        }
      }
      if (k >= depth) {
        // The slot of k - depth is k's: same addresses; k - 1's is another slot.
        EXPECT_TRUE(pointers[k] == pointers[k - depth]);
        EXPECT_TRUE(pointers[k] != pointers[k - 1]);
        // Through the pointer remembered from iteration k - depth, the producers'
        // memory now shows iteration k: the old step was never a copy.
        const auto* remembered = static_cast<const double*>(pointers[k - depth][0]);
        EXPECT_EQ(remembered[0], value(k, 0, 0));
      }
      if (k == iterations - 1) {
        kept.emplace(std::move(step));
      }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(sub.counters().read_in_place, std::uint64_t{iterations});
    EXPECT_EQ(sub.counters().bytes_pulled, 0u);
    // A step held across its subscription's close is released with it: reading the
    // producers' slots through it is refused.
    EXPECT_TRUE(kept.has_value() && kept->ok());
    if (kept) {
      sub.close();
      EXPECT_THROW_WITH((void)kept->data<double>(), StateError, "closing its subscription");
      EXPECT_THROW_WITH((void)kept->blocks(), StateError, "closing its subscription");
    }
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(in_place_reads_stay_whole_under_a_producer_that_never_waits) {
  constexpr std::int64_t iterations = 20000;
  Runtime rt(testing::role());
  if (rt.role() == Role::simulation) {
    Bridge bridge(rt);
    auto& field = bridge.expose<double>("fast", layout_of(rt), {2, Policy::skip});
    for (std::int64_t k = 0; k < iterations; ++k) {
      double* slot = field.slot<double>(k);
      fill(slot, field.layout(), k);
      field.commit(k);
      bridge.end_iteration(k);
    }
    const auto counters = field.counters();
    EXPECT_EQ(counters.published + counters.skipped, std::uint64_t{iterations});
    bridge.close();
  } else {
    Consumer consumer(rt);
    auto& sub = consumer.subscribe<double>("fast");
    std::int64_t wrong = 0;
    std::int64_t last = -1;
    std::int64_t steps = 0;
    for (;;) {
      auto step = sub.next(30s);
      if (step.status() == StepStatus::end_of_stream) break;
      if (!step.ok()) {
        EXPECT_TRUE(step.ok());
        break;
      }
      EXPECT_TRUE(step.in_place());
      EXPECT_TRUE(step.iteration() > last);
      last = step.iteration();
      // Read slowly enough for the producer to want the slot back meanwhile.
      wrong += wrong_elements(step, step.iteration());
      if (steps % 64 == 0) std::this_thread::sleep_for(50us);
      wrong += wrong_elements(step, step.iteration());
      ++steps;
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_TRUE(steps > 10);
    EXPECT_EQ(sub.counters().torn_reads, 0u);
    consumer.close();
  }
  rt.free();
}
