// Channels end to end in an MPMD job: simulation ranks (--role simulation) expose and
// publish, analytics ranks (--role analytics) subscribe and verify every element.
// meson runs it with 1, 2 and 4 producers and 1 or 2 consumers.
//
// Element g (row-major global index) of iteration i holds value(i, g), so a reader
// can check every element it pulls against the iteration it was told it got.
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/core/error.hpp"

using namespace sluice;
using namespace sluice::channel;
using namespace std::chrono_literals;

namespace {

double value(std::int64_t iteration, std::int64_t global_index) {
  return static_cast<double>(iteration) * 1.0e7 + static_cast<double>(global_index);
}

bool is_simulation() { return testing::role() == "simulation"; }

// SLUICE_TEST_READ=remote forces the remote path (MPI_Get) on a node where slots could
// be read in place; SLUICE_TEST_EXPECT_IN_PLACE says which path block and skip
// subscriptions must then take.
ConsumerOptions reader_options() {
  const char* read = std::getenv("SLUICE_TEST_READ");
  ConsumerOptions options;
  options.read_in_place = read == nullptr || std::string(read) != "remote";
  return options;
}

bool expect_in_place() {
  const char* expected = std::getenv("SLUICE_TEST_EXPECT_IN_PLACE");
  return expected != nullptr && std::string(expected) == "1";
}

// Rows of an ny x nx array split over the simulation ranks (some may own nothing),
// with a halo of one cell on every side of the local buffer.
Layout row_layout(const Runtime& rt, std::int64_t ny, std::int64_t nx) {
  const auto p = static_cast<std::int64_t>(rt.comm().size());
  const auto r = static_cast<std::int64_t>(rt.comm().rank());
  const std::int64_t base = ny / p;
  const std::int64_t extra = ny % p;
  const std::int64_t rows = base + (r < extra ? 1 : 0);
  const std::int64_t first = r * base + std::min(r, extra);
  return {{ny, nx}, {first, 0}, {rows, nx}, {rows + 2, nx + 2}, {1, 1}};
}

// The same blocks without halos: whole rows are contiguous, so pulls of whole rows
// move plain bytes instead of derived datatypes.
Layout row_layout_without_halo(const Runtime& rt, std::int64_t ny, std::int64_t nx) {
  Layout l = row_layout(rt, ny, nx);
  l.local_shape = l.block_count;
  l.local_offset = {0, 0};
  return l;
}

// Fills the owned region of a local buffer (with halo) for iteration `it`; halo
// cells get garbage that must never reach a reader.
void fill(double* local, const Layout& l, std::int64_t it) {
  for (std::int64_t i = 0; i < l.local_shape[0]; ++i) {
    for (std::int64_t j = 0; j < l.local_shape[1]; ++j) {
      const std::int64_t gi = l.block_start[0] + i - l.local_offset[0];
      const std::int64_t gj = l.block_start[1] + j - l.local_offset[1];
      const bool owned = i >= l.local_offset[0] && i < l.local_offset[0] + l.block_count[0] &&
                         j >= l.local_offset[1] && j < l.local_offset[1] + l.block_count[1];
      local[i * l.local_shape[1] + j] = owned ? value(it, gi * l.global_shape[1] + gj) : -1.0;
    }
  }
}

// Checks a pulled selection against value(); returns the number of wrong elements.
std::int64_t check(const Step& step, const Selection& sel, std::int64_t nx) {
  const auto data = step.data<double>();
  std::int64_t wrong = 0;
  std::size_t k = 0;
  for (std::int64_t a = 0; a < sel.count[0]; ++a) {
    for (std::int64_t b = 0; b < sel.count[1]; ++b) {
      const std::int64_t gi = sel.start[0] + a * sel.every[0];
      const std::int64_t gj = sel.start[1] + b * sel.every[1];
      wrong += data[k++] != value(step.iteration(), gi * nx + gj);
    }
  }
  // Read in place: the same values through the views into the producers' slots.
  for (const auto& block : step.blocks()) {
    const auto* first = static_cast<const double*>(block.data);
    for (std::int64_t a = 0; a < block.count[0]; ++a) {
      for (std::int64_t b = 0; b < block.count[1]; ++b) {
        const std::int64_t gi = sel.start[0] + (block.result_start[0] + a) * sel.every[0];
        const std::int64_t gj = sel.start[1] + (block.result_start[1] + b) * sel.every[1];
        wrong += first[a * block.strides[0] + b * block.strides[1]] !=
                 value(step.iteration(), gi * nx + gj);
      }
    }
  }
  return wrong;
}

// Publishes iterations 0 .. count-1 of value() by copy, ending each iteration.
void publish_iterations(Bridge& bridge, Channel& channel, std::int64_t count) {
  std::vector<double> local(static_cast<std::size_t>(channel.layout().local_elements()));
  for (std::int64_t it = 0; it < count; ++it) {
    fill(local.data(), channel.layout(), it);
    channel.publish(it, local.data());
    bridge.end_iteration(it);
  }
}

// Hands every step to `visit` until end of stream; any other status is a failure.
template <typename Visit>
void read_to_end(Subscription& subscription, Visit visit) {
  for (;;) {
    auto step = subscription.next(30s);
    if (step.status() == StepStatus::end_of_stream) {
      return;
    }
    EXPECT_TRUE(step.ok());
    if (!step.ok()) {
      return;
    }
    visit(step);
  }
}

}  // namespace

SLUICE_MPI_TEST(block_policy_delivers_every_iteration_intact) {
  // Zero torn reads and nothing lost over 10,000 iterations of a small array.
  constexpr std::int64_t ny = 12, nx = 5, iterations = 10000;
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("field", row_layout(rt, ny, nx));
    publish_iterations(bridge, channel, iterations);
    EXPECT_EQ(channel.counters().published,
              channel.layout().block_elements() > 0 ? std::uint64_t{iterations} : 0u);
    EXPECT_EQ(channel.counters().skipped, 0u);
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("field");
    EXPECT_EQ(sub.reads_in_place(), expect_in_place());
    const Selection all = Selection::all({ny, nx}).normalized();
    std::int64_t expected = 0;
    std::int64_t wrong = 0;
    read_to_end(sub, [&](const Step& step) {
      EXPECT_EQ(step.in_place(), expect_in_place());
      EXPECT_EQ(step.iteration(), expected);
      wrong += check(step, all, nx);
      expected = step.iteration() + 1;
    });
    EXPECT_EQ(expected, iterations);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(sub.counters().delivered, std::uint64_t{iterations});
    EXPECT_EQ(sub.counters().torn_reads, 0u);
    EXPECT_EQ(sub.counters().read_in_place, expect_in_place() ? std::uint64_t{iterations} : 0u);
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(selections_crossing_blocks_corners_and_strides) {
  constexpr std::int64_t ny = 16, nx = 9, iterations = 20;
  const std::vector<Selection> selections = {
      {{0, 0}, {ny, nx}, {}},    // everything
      {{3, 2}, {7, 5}, {}},      // crosses block boundaries for 2 and 4 producers
      {{7, 8}, {2, 1}, {}},      // a corner: last column, around the middle row
      {{15, 0}, {1, nx}, {}},    // the last row only: one block
      {{1, 1}, {5, 3}, {3, 3}},  // strided (downsampling) across blocks
  };
  Runtime rt(testing::role());
  if (is_simulation()) {
    // With halos every pull uses derived datatypes; without, whole-row boxes move
    // as plain bytes. Both must give the same selections.
    Bridge bridge(rt);
    auto& halo = bridge.expose<double>("grid", row_layout(rt, ny, nx), {.depth = 3});
    auto& plain = bridge.expose<double>("plain", row_layout_without_halo(rt, ny, nx));
    for (std::int64_t it = 0; it < iterations; ++it) {
      for (auto* channel : {&halo, &plain}) {
        double* slot = channel->slot<double>(it);  // zero-copy path
        fill(slot, channel->layout(), it);
        channel->commit(it);
      }
      bridge.end_iteration(it);
    }
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    std::vector<Subscription*> subs;
    std::vector<Selection> wanted;
    for (const char* stream : {"grid", "plain"}) {
      for (const auto& sel : selections) {
        subs.push_back(&consumer.subscribe<double>(stream, sel));
        wanted.push_back(sel);
      }
    }
    // Round robin: under the block policy the producer waits for every subscription.
    std::int64_t wrong = 0;
    std::vector<std::int64_t> delivered(subs.size(), 0);
    for (std::int64_t it = 0; it <= iterations; ++it) {
      for (std::size_t k = 0; k < subs.size(); ++k) {
        auto step = subs[k]->next(30s);
        if (it == iterations) {
          EXPECT_TRUE(step.status() == StepStatus::end_of_stream);
          continue;
        }
        EXPECT_TRUE(step.ok());
        if (step.ok()) {
          EXPECT_EQ(step.iteration(), it);
          EXPECT_TRUE(step.shape() == wanted[k].count);
          wrong += check(step, wanted[k].normalized(), nx);
          ++delivered[k];
        }
      }
    }
    for (std::int64_t count : delivered) {
      EXPECT_EQ(count, iterations);
    }
    EXPECT_EQ(subs[3]->blocks(), 1u);
    EXPECT_EQ(wrong, 0);
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(skip_policy_counts_exactly_and_equally_on_every_rank) {
  constexpr std::int64_t ny = 8, nx = 4, iterations = 300;
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("skipped", row_layout(rt, ny, nx),
                                          {.depth = 1, .policy = Policy::skip});
    publish_iterations(bridge, channel, iterations);
    channel.close();  // readers reach end of stream before we wait for their count
    // Every simulation rank dropped the same number of iterations.
    const auto skipped = static_cast<long long>(channel.counters().skipped);
    long long low = 0, high = 0;
    MPI_Allreduce(&skipped, &low, 1, MPI_LONG_LONG, MPI_MIN, rt.comm().get());
    MPI_Allreduce(&skipped, &high, 1, MPI_LONG_LONG, MPI_MAX, rt.comm().get());
    EXPECT_EQ(low, high);
    long long consumer_count = 0;
    if (rt.comm().rank() == 0) {
      MPI_Recv(&consumer_count, 1, MPI_LONG_LONG, rt.ranks_of(Role::analytics).front(), 7,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      // What the first reader got plus what was dropped is everything.
      EXPECT_EQ(consumer_count + skipped, static_cast<long long>(iterations));
      EXPECT_TRUE(skipped > 0);
    }
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("skipped");
    const Selection all = Selection::all({ny, nx}).normalized();
    long long delivered = 0;
    std::int64_t last = -1;
    std::int64_t wrong = 0;
    read_to_end(sub, [&](const Step& step) {
      EXPECT_TRUE(step.iteration() > last);
      last = step.iteration();
      wrong += check(step, all, nx);
      ++delivered;
      std::this_thread::sleep_for(200us);  // a slow reader
    });
    EXPECT_EQ(wrong, 0);
    if (rt.world_rank() == rt.ranks_of(Role::analytics).front()) {
      MPI_Send(&delivered, 1, MPI_LONG_LONG, rt.ranks_of(Role::simulation).front(), 7,
               MPI_COMM_WORLD);
    }
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(latest_policy_never_goes_backwards_and_never_tears) {
  constexpr std::int64_t ny = 64, nx = 64, iterations = 2000;
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("newest", row_layout(rt, ny, nx),
                                          {.depth = 2, .policy = Policy::latest});
    publish_iterations(bridge, channel, iterations);
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("newest");
    const Selection all = Selection::all({ny, nx}).normalized();
    std::int64_t last = -1;
    std::int64_t wrong = 0;
    read_to_end(sub, [&](const Step& step) {
      EXPECT_TRUE(step.iteration() > last);
      last = step.iteration();
      wrong += check(step, all, nx);
    });
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(last, iterations - 1);  // the final iteration is always the newest
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(bad_input_gives_clear_errors_and_loses_nothing) {
  constexpr std::int64_t ny = 6, nx = 6, iterations = 5;
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    // Overlapping blocks (every rank claims row 0) are rejected on every rank.
    if (rt.comm().size() > 1) {
      EXPECT_THROW_WITH(bridge.expose<double>("bad", Layout{{ny, nx}, {0, 0}, {1, nx}, {}, {}}),
                        InvalidArgument, "overlap");
    }
    // A block outside the global shape names the rank and the dimension.
    EXPECT_THROW_WITH(bridge.expose<double>("outside", Layout{{ny, nx}, {ny, 0}, {1, nx}, {}, {}}),
                      InvalidArgument, "outside the global");
    // Extents beyond MPI's int counts are refused before anything is allocated.
    EXPECT_THROW_WITH(
        bridge.expose<std::uint8_t>("huge", Layout{{std::int64_t{3} << 30}, {0}, {0}, {}, {}}),
        InvalidArgument, "do not fit MPI's int counts");
    EXPECT_THROW_WITH(bridge.expose<double>("bad name!", row_layout(rt, ny, nx)), InvalidArgument,
                      "letters, digits");
    auto& channel = bridge.expose<float>("good", row_layout(rt, ny, nx));
    EXPECT_THROW_WITH(bridge.expose<float>("good", row_layout(rt, ny, nx)), InvalidArgument,
                      "already exposed");
    std::vector<float> local(static_cast<std::size_t>(channel.layout().local_elements()), 1.0f);
    std::vector<double> wrong_type(local.size());
    EXPECT_THROW_WITH(channel.publish(0, wrong_type.data()), InvalidArgument, "exposed as f32");
    for (std::int64_t it = 0; it < iterations; ++it) {
      channel.publish(it, local.data());
      bridge.end_iteration(it);
    }
    EXPECT_THROW_WITH(channel.publish(iterations - 1, local.data()), InvalidArgument,
                      "iterations must increase");
    EXPECT_THROW_WITH(bridge.end_iteration(0), InvalidArgument, "iterations must increase");
    EXPECT_THROW_WITH(bridge.expose<float>("late", row_layout(rt, ny, nx)), StateError,
                      "publishing has started");
    EXPECT_THROW_WITH((void)bridge.channel("absent"), NotFound, "no stream");
    channel.close();
    EXPECT_THROW_WITH(channel.publish(iterations + 1, local.data()), StateError, "closed");
    MPI_Barrier(MPI_COMM_WORLD);  // readers try to subscribe after the close
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    // Only the valid stream made it.
    EXPECT_EQ(consumer.streams().size(), 1u);
    auto& sub = consumer.subscribe<float>("good");
    EXPECT_THROW_WITH(consumer.subscribe<float>("absent"), NotFound, "streams: good");
    EXPECT_THROW_WITH(consumer.subscribe<double>("good"), InvalidArgument, "carries f32");
    EXPECT_THROW_WITH(consumer.subscribe<float>("good", Selection{{0, 0}, {7, 1}, {}}),
                      InvalidArgument, "outside the stream's [0, 6)");
    EXPECT_THROW_WITH(consumer.subscribe<float>("good", Selection{{0}, {1}, {}}), InvalidArgument,
                      "2 dimensions");
    EXPECT_THROW_WITH(consumer.subscribe<float>("good", Selection{{0, 0}, {2, 2}, {0, 1}}),
                      InvalidArgument, "must be positive");
    // Nothing was lost by the errors on either side.
    std::int64_t delivered = 0;
    read_to_end(sub, [&](const Step& step) {
      EXPECT_EQ(step.iteration(), delivered);
      EXPECT_THROW_WITH((void)step.data<double>(), InvalidArgument, "carries f32");
      ++delivered;
    });
    EXPECT_EQ(delivered, iterations);
    MPI_Barrier(MPI_COMM_WORLD);
    EXPECT_THROW_WITH(consumer.subscribe<float>("good"), StateError, "closed");
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(not_ready_when_nothing_new_arrives_in_time) {
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("slow", row_layout(rt, 4, 4));
    bridge.start();
    MPI_Barrier(MPI_COMM_WORLD);  // readers time out first
    std::vector<double> local(static_cast<std::size_t>(channel.layout().local_elements()));
    fill(local.data(), channel.layout(), 0);
    channel.publish(0, local.data());
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("slow");
    auto early = sub.next(20ms);
    EXPECT_TRUE(early.status() == StepStatus::not_ready);
    EXPECT_THROW_WITH((void)early.data<double>(), StateError, "not_ready");
    MPI_Barrier(MPI_COMM_WORLD);
    std::vector<double> mine(16, -1.0);
    std::vector<double> too_small(15);
    std::vector<float> wrong_type(16);
    EXPECT_THROW_WITH(sub.next(30s, std::span<double>(too_small)), InvalidArgument, "16");
    EXPECT_THROW_WITH(sub.next(30s, std::span<float>(wrong_type)), InvalidArgument, "carries f64");
    auto step = sub.next(30s, std::span<double>(mine));  // straight into our buffer
    EXPECT_TRUE(step.ok());
    EXPECT_EQ(step.iteration(), 0);
    EXPECT_TRUE(step.data<double>().data() == mine.data());
    EXPECT_EQ(check(step, Selection::all({4, 4}).normalized(), 4), 0);
    step.release();
    EXPECT_THROW_WITH((void)step.data<double>(), StateError, "released");
    EXPECT_TRUE(step.shape() == (Extents{4, 4}));
    EXPECT_TRUE(sub.next(30s).status() == StepStatus::end_of_stream);
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(readers_progress_while_the_producer_computes_without_mpi) {
  // The producer publishes iteration 0 and then computes for 300 ms without a single
  // MPI call. With osc sm (what sluice-mpirun selects) the reader pulls iteration 0
  // during that time; with osc pt2pt it has to wait for the producer's next MPI call.
  // Whether it came during or after is measured and printed, next to what
  // SLUICE_TEST_EXPECT_PROGRESS says the component should do, but not asserted: on a
  // loaded machine the reader may not be scheduled within any wall-clock window. What
  // is asserted holds on any machine: the data, and end of stream after it.
  constexpr std::int64_t ny = 32, nx = 32;
  using clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC: one clock per machine
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("busy", row_layout(rt, ny, nx));
    std::vector<double> local(static_cast<std::size_t>(channel.layout().local_elements()));
    fill(local.data(), channel.layout(), 0);
    channel.publish(0, local.data());
    const auto busy_until = clock::now() + 300ms;
    volatile double sink = 0.0;
    while (clock::now() < busy_until) {
      sink = sink + 1.0;  // compute, no MPI
    }
    bridge.end_iteration(0);
    bridge.close();
    const long long busy_end = busy_until.time_since_epoch().count();
    if (rt.comm().rank() == 0) {
      for (int reader : rt.ranks_of(Role::analytics)) {
        MPI_Send(&busy_end, 1, MPI_LONG_LONG, reader, 11, MPI_COMM_WORLD);
      }
    }
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("busy");
    auto step = sub.next(30s);
    const long long received = clock::now().time_since_epoch().count();
    EXPECT_TRUE(step.ok());
    if (step.ok()) {
      EXPECT_EQ(check(step, Selection::all({ny, nx}).normalized(), nx), 0);
    }
    step.release();
    EXPECT_TRUE(sub.next(30s).status() == StepStatus::end_of_stream);
    consumer.close();
    long long busy_end = 0;
    MPI_Recv(&busy_end, 1, MPI_LONG_LONG, rt.ranks_of(Role::simulation).front(), 11, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    const bool during = received < busy_end;
    const char* expect = std::getenv("SLUICE_TEST_EXPECT_PROGRESS");
    const bool expected = expect != nullptr && std::string(expect) == "1";
    std::printf(
        "  reader got iteration 0 %s the producer's 300 ms without MPI (%+.1f ms; this osc "
        "component is %s to progress on its own)\n",
        during ? "during" : "after", static_cast<double>(received - busy_end) / 1e6,
        expected ? "expected" : "not expected");
  }
  rt.free();
}

SLUICE_MPI_TEST(latest_policy_copes_with_producers_far_apart) {
  // Simulation rank 0 is slow, the others race ahead by far more than `depth`: a
  // reader must keep honouring its timeout and still get the last iteration whole.
  constexpr std::int64_t ny = 16, nx = 8, iterations = 100;
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("skewed", row_layout(rt, ny, nx),
                                          {.depth = 2, .policy = Policy::latest});
    std::vector<double> local(static_cast<std::size_t>(channel.layout().local_elements()));
    for (std::int64_t it = 0; it < iterations; ++it) {
      if (rt.comm().rank() == 0) {
        std::this_thread::sleep_for(2ms);
      }
      fill(local.data(), channel.layout(), it);
      channel.publish(it, local.data());
    }
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("skewed");
    const Selection all = Selection::all({ny, nx}).normalized();
    std::int64_t last = -1;
    std::int64_t wrong = 0;
    int errors = 0;
    for (;;) {
      auto step = sub.next(20ms);
      if (step.status() == StepStatus::end_of_stream) {
        break;
      }
      errors += step.status() == StepStatus::error;
      if (step.ok()) {
        EXPECT_TRUE(step.iteration() > last);
        last = step.iteration();
        wrong += check(step, all, nx);
      }
    }
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(last, iterations - 1);
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(a_step_is_refused_once_the_next_one_is_taken) {
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("steps", row_layout_without_halo(rt, 4, 4));
    publish_iterations(bridge, channel, 3);
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("steps");
    auto first = sub.next(30s);
    EXPECT_TRUE(first.ok());
    EXPECT_EQ(first.iteration(), 0);
    auto second = sub.next(30s);  // releases the first: its buffer now holds iteration 1
    EXPECT_EQ(second.iteration(), 1);
    EXPECT_THROW_WITH((void)first.data<double>(), StateError, "the next call to next()");
    EXPECT_EQ(check(second, Selection::all({4, 4}).normalized(), 4), 0);
    Step moved = std::move(second);
    EXPECT_THROW_WITH((void)second.data<double>(), StateError, "released");  // NOLINT
    EXPECT_EQ(check(moved, Selection::all({4, 4}).normalized(), 4), 0);
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(simulation_ranks_read_streams_through_their_bridge) {
  // Every simulation rank reads the whole field (all ranks' blocks) after each
  // publish, next to an analytics reader: in situ analytics on the simulation itself.
  constexpr std::int64_t ny = 12, nx = 6, iterations = 50;
  Runtime rt(testing::role());
  const Selection all = Selection::all({ny, nx}).normalized();
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("shared", row_layout(rt, ny, nx));
    EXPECT_THROW_WITH(Consumer{rt}, RoleError, "from the rank's Bridge");
    Consumer readers(bridge);
    EXPECT_EQ(readers.streams().size(), 1u);
    auto& sub = readers.subscribe<double>("shared");
    std::vector<double> local(static_cast<std::size_t>(channel.layout().local_elements()));
    std::int64_t wrong = 0;
    for (std::int64_t it = 0; it < iterations; ++it) {
      fill(local.data(), channel.layout(), it);
      channel.publish(it, local.data());
      auto step = sub.next(30s);
      EXPECT_TRUE(step.ok());
      if (step.ok()) {
        EXPECT_EQ(step.iteration(), it);
        wrong += check(step, all, nx);
      }
      bridge.end_iteration(it);
    }
    EXPECT_EQ(wrong, 0);
    readers.close();
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& sub = consumer.subscribe<double>("shared");
    std::int64_t expected = 0;
    std::int64_t wrong = 0;
    read_to_end(sub, [&](const Step& step) {
      EXPECT_EQ(step.iteration(), expected++);
      wrong += check(step, all, nx);
    });
    EXPECT_EQ(expected, iterations);
    EXPECT_EQ(wrong, 0);
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(a_closed_subscription_no_longer_holds_the_producer_back) {
  // Under block, a subscription nobody reads would stall the producer forever; once
  // closed, the producer runs on and the other subscription sees everything.
  constexpr std::int64_t iterations = 40;
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("held", row_layout(rt, 4, 4), {.depth = 1});
    publish_iterations(bridge, channel, iterations);
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    auto& abandoned = consumer.subscribe<double>("held");
    auto& kept = consumer.subscribe<double>("held");
    auto first = abandoned.next(30s);
    EXPECT_TRUE(first.ok());
    abandoned.close();
    EXPECT_TRUE(abandoned.is_closed());
    EXPECT_TRUE(abandoned.next(1ms).status() == StepStatus::error);
    std::int64_t expected = 0;
    read_to_end(kept, [&](const Step& step) { EXPECT_EQ(step.iteration(), expected++); });
    EXPECT_EQ(expected, iterations);
    consumer.close();
  }
  rt.free();
}

SLUICE_MPI_TEST(a_reader_subscribes_again_as_often_as_it_likes) {
  // A producer hands out 32 subscriber entries per stream; a reader that closes its
  // subscription and subscribes again takes its own entry back each time, so 80
  // subscriptions per consumer process (more than 32 in all) each read whole steps.
  // The simulation publishes until the readers say they are done (analytics rank 0
  // to simulation rank 0), then 10 iterations more, which a subscription kept open
  // from then on reads, every one.
  constexpr int again = 80;
  constexpr int done_tag = 81;
  Runtime rt(testing::role());
  if (is_simulation()) {
    Bridge bridge(rt);
    auto& channel = bridge.expose<double>("again", row_layout(rt, 4, 4), {.depth = 2});
    std::vector<double> local(static_cast<std::size_t>(channel.layout().local_elements()));
    int done = 0;
    MPI_Request done_request = MPI_REQUEST_NULL;
    if (rt.comm().rank() == 0) {
      MPI_Irecv(&done, 1, MPI_INT, rt.ranks_of(Role::analytics).front(), done_tag, MPI_COMM_WORLD,
                &done_request);
    }
    std::int64_t last = -1;
    for (std::int64_t it = 0; last < 0 || it <= last; ++it) {
      fill(local.data(), channel.layout(), it);
      channel.publish(it, local.data());
      bridge.end_iteration(it);
      if (last < 0) {
        int arrived = 0;
        if (done_request != MPI_REQUEST_NULL) {
          MPI_Test(&done_request, &arrived, MPI_STATUS_IGNORE);
        }
        MPI_Allreduce(MPI_IN_PLACE, &arrived, 1, MPI_INT, MPI_MAX, rt.comm().get());
        last = arrived != 0 ? it + 10 : -1;
      }
      std::this_thread::sleep_for(1ms);
    }
    bridge.close();
  } else {
    Consumer consumer(rt, reader_options());
    std::int64_t wrong = 0;
    Selection all;
    for (int n = 0; n < again; ++n) {
      auto& subscription = consumer.subscribe<double>("again");
      all = subscription.selection();
      const auto step = subscription.next(30s);
      EXPECT_TRUE(step.ok());
      if (step.ok()) {
        wrong += check(step, all, 4);
      }
      subscription.close();
    }
    // Every reader is done before any subscribes for good: a kept subscription holds
    // the producers (block, depth 2), whom the others' new subscriptions wait for.
    MPI_Barrier(rt.comm().get());
    auto& kept = consumer.subscribe<double>("again");
    // Every reader's closed subscriptions are inactive: the producers count only the
    // kept ones, one per analytics rank.
    MPI_Barrier(rt.comm().get());
    EXPECT_EQ(StreamCatalog(rt).progress("again").active_readers,
              static_cast<std::uint64_t>(rt.comm().size()));
    MPI_Barrier(rt.comm().get());
    if (rt.comm().rank() == 0) {
      const int done = 1;
      MPI_Send(&done, 1, MPI_INT, rt.ranks_of(Role::simulation).front(), done_tag, MPI_COMM_WORLD);
    }
    std::int64_t expected = -1;
    std::int64_t read = 0;
    read_to_end(kept, [&](const Step& step) {
      EXPECT_TRUE(expected < 0 || step.iteration() == expected);
      expected = step.iteration() + 1;
      ++read;
      wrong += check(step, all, 4);
    });
    EXPECT_TRUE(read >= 10);
    EXPECT_EQ(wrong, 0);
    consumer.close();
  }
  rt.free();
}
