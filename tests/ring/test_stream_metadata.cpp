// Stream metadata through the ring: a simulation (--role simulation) exposes two
// streams; schedulers (--role scheduler) answer stream queries for the names they own
// and stop by themselves once the simulation closes; an analytics process (--role
// analytics) queries both from the ring and checks them against what it learnt at
// set-up and what the simulation did.
#include <mpi.h>

#include <string>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/ring/directory.hpp"
#include "sluice/ring/scheduler.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr int paused_at_tag = 0x78;  // simulation rank 0 -> analytics: iteration 9 is out
constexpr int resume_tag = 0x79;     // analytics -> every simulation rank: go on
constexpr std::int64_t rows = 16;
constexpr std::int64_t cols = 8;

bool same_layout(const channel::Layout& a, const channel::Layout& b) {
  return a.global_shape == b.global_shape && a.block_start == b.block_start &&
         a.block_count == b.block_count && a.local_shape == b.local_shape &&
         a.local_offset == b.local_offset;
}

}  // namespace

SLUICE_MPI_TEST(stream_metadata_lives_at_the_owner_of_the_name) {
  Runtime rt(testing::role(),
             {.required_roles = {Role::simulation, Role::scheduler, Role::analytics}});
  const int analytics = rt.ranks_of(Role::analytics).front();

  if (rt.role() == Role::simulation) {
    const int rank = rt.comm().rank();
    const int size = rt.comm().size();
    const std::int64_t band = rows / size;
    channel::Bridge bridge(rt);
    const channel::ChannelOptions latest{.depth = 2, .policy = channel::Policy::latest};
    auto& temperature = bridge.expose<double>(
        "temperature", {{rows, cols}, {rank * band, 0}, {band, cols}, {}, {}}, latest);
    auto& pressure = bridge.expose<float>("pressure", {{size}, {rank}, {1}, {}, {}}, latest);
    std::vector<double> field(static_cast<std::size_t>(band * cols));
    std::vector<float> one(1);
    for (std::int64_t k = 0; k < 20; ++k) {
      std::fill(field.begin(), field.end(), static_cast<double>(k));
      temperature.publish(k, field.data());
      one[0] = static_cast<float>(k);
      pressure.publish(k, one.data());
      bridge.end_iteration(k);
      if (k == 9) {
        rt.comm().barrier();  // every rank has published 9
        if (rank == 0) {
          MPI_Send(&k, 1, MPI_INT64_T, analytics, paused_at_tag, rt.world().get());
        }
        MPI_Recv(nullptr, 0, MPI_BYTE, analytics, resume_tag, rt.world().get(), MPI_STATUS_IGNORE);
      }
    }
    bridge.close();
  } else if (rt.role() == Role::scheduler) {
    // No reader: the scheduler ends the set-up with everybody and reads the catalog.
    channel::StreamCatalog streams(rt);
    rt.start();
    ring::Scheduler scheduler(rt);
    scheduler.serve_streams(streams);
    scheduler.serve_until_stopped();  // returns once the simulation closed its streams
    EXPECT_TRUE(streams.progress("temperature").closed);
    EXPECT_EQ(streams.progress("temperature").published, 20u);
  } else {
    channel::Consumer consumer(rt);
    auto& subscription = consumer.subscribe<double>("temperature");
    consumer.start();
    ring::Directory directory(rt, 60s);

    std::int64_t paused_at = -1;
    MPI_Recv(&paused_at, 1, MPI_INT64_T, rt.ranks_of(Role::simulation).front(), paused_at_tag,
             rt.world().get(), MPI_STATUS_IGNORE);
    EXPECT_EQ(paused_at, 9);

    const auto temperature = directory.stream("temperature");
    EXPECT_TRUE(temperature.has_value());
    if (temperature) {
      const auto& known = consumer.streams()[0];
      EXPECT_EQ(temperature->info.name, "temperature");
      EXPECT_TRUE(temperature->info.dtype == sluice::Dtype::f64);
      EXPECT_TRUE(temperature->info.global_shape == (sluice::Extents{rows, cols}));
      EXPECT_TRUE(temperature->info.options.policy == channel::Policy::latest);
      EXPECT_EQ(temperature->info.producers.size(), known.producers.size());
      for (std::size_t p = 0; p < known.producers.size(); ++p) {
        EXPECT_EQ(temperature->info.producers[p].world_rank, known.producers[p].world_rank);
        EXPECT_TRUE(same_layout(temperature->info.producers[p].layout, known.producers[p].layout));
      }
      const auto& progress = temperature->progress;
      EXPECT_EQ(progress.newest_iteration, 9);
      EXPECT_EQ(progress.published, 10u);
      EXPECT_EQ(progress.active_readers, 1u);  // this process's subscription
      EXPECT_TRUE(!progress.closed);
      EXPECT_EQ(progress.producers.size(), known.producers.size());
    }
    const auto pressure = directory.stream("pressure");
    EXPECT_TRUE(pressure.has_value());
    if (pressure) {
      EXPECT_TRUE(pressure->info.dtype == sluice::Dtype::f32);
      EXPECT_EQ(pressure->progress.newest_iteration, 9);
      EXPECT_EQ(pressure->progress.active_readers, 0u);
    }
    EXPECT_TRUE(!directory.stream("humidity").has_value());
    // The same answers as reading the windows directly.
    EXPECT_EQ(consumer.progress("temperature").published, 10u);
    EXPECT_THROW_WITH((void)consumer.progress("humidity"), NotFound, "no stream of that name");

    for (int rank : rt.ranks_of(Role::simulation)) {
      MPI_Send(nullptr, 0, MPI_BYTE, rank, resume_tag, rt.world().get());
    }
    std::int64_t last = -1;
    for (;;) {
      auto step = subscription.next(30s);
      if (step.status() != channel::StepStatus::ok) {
        EXPECT_TRUE(step.status() == channel::StepStatus::end_of_stream);
        break;
      }
      last = step.iteration();
    }
    EXPECT_EQ(last, 19);
    consumer.close();
  }
  rt.free();
}
