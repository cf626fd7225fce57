// A stream created after the simulation started, by a process that is not a simulation
// rank, read by a process of a third role, in place and pulled.
//
// Simulation ranks (--role simulation) expose "temperature" and publish iterations
// without pause. The scheduler (--role scheduler) waits until the simulation has
// published iteration 5 (it reads the progress one-sided), then exposes "derived" on
// its own (a Producer over MPI_COMM_SELF: nobody else takes part), waits for its two
// readers and publishes 10 iterations. The analytics rank (--role analytics) discovers
// "derived" in the job's catalog, subscribes in place and pulled, and checks every
// element. The simulation never enters a collective after start: it only publishes.
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/channel/stream_catalog.hpp"

using namespace sluice;
using namespace sluice::channel;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t derived_iterations = 10;
const Extents derived_shape{4, 8};

double derived_value(std::int64_t k, std::int64_t i, std::int64_t j) {
  return static_cast<double>(k) + 0.01 * static_cast<double>(i * 8 + j);
}

std::int64_t wrong(std::span<const double> data, std::int64_t k) {
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < derived_shape[0]; ++i) {
    for (std::int64_t j = 0; j < derived_shape[1]; ++j) {
      bad += data[static_cast<std::size_t>(i * 8 + j)] != derived_value(k, i, j);
    }
  }
  return bad;
}

}  // namespace

SLUICE_MPI_TEST(a_stream_created_at_run_time_by_a_scheduler_is_read_by_analytics) {
  Runtime rt(testing::role(),
             {.required_roles = {Role::simulation, Role::scheduler, Role::analytics}});
  if (rt.role() == Role::simulation) {
    Bridge bridge(rt);
    const std::int64_t rows = 4 / rt.comm().size();
    auto& temperature = bridge.expose<double>(
        "temperature", {{4, 4}, {rt.comm().rank() * rows, 0}, {rows, 4}, {}, {}});
    std::vector<double> field(static_cast<std::size_t>(rows * 4), 1.0);
    // Publishes until the scheduler says its stream is done: many iterations after
    // the stream was created, all without a collective.
    int done = 0;
    std::int64_t k = 0;
    for (; done == 0; ++k) {
      temperature.publish(k, field.data());
      bridge.end_iteration(k);
      if (rt.comm().rank() == 0) {
        MPI_Iprobe(rt.ranks_of(Role::scheduler).front(), 9, MPI_COMM_WORLD, &done,
                   MPI_STATUS_IGNORE);
      }
      MPI_Bcast(&done, 1, MPI_INT, 0, rt.comm().get());  // the simulation's own choice
      std::this_thread::sleep_for(1ms);
    }
    if (rt.comm().rank() == 0) {
      MPI_Recv(nullptr, 0, MPI_BYTE, rt.ranks_of(Role::scheduler).front(), 9, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
    }
    EXPECT_TRUE(k > 5);
    bridge.close();
  } else if (rt.role() == Role::scheduler) {
    StreamCatalog streams(rt);
    rt.start();
    // Well after the simulation started.
    while (streams.progress("temperature").newest_iteration < 5) {
      std::this_thread::sleep_for(1ms);
    }
    const auto self = mpi::Comm::borrow(MPI_COMM_SELF);
    Producer producer(rt, self);
    auto& derived = producer.expose<double>(
        "derived", {derived_shape, {0, 0}, derived_shape, {6, 10}, {1, 1}}, {2, Policy::block});
    EXPECT_TRUE(streams.progress("temperature").newest_iteration >= 5);
    // Taken again: refused, and nothing else changes.
    EXPECT_THROW_WITH(producer.expose<double>("derived", {{1}, {0}, {1}, {}, {}}), InvalidArgument,
                      "already exposed");
    // Both readers first, so that they get every iteration.
    while (streams.progress("derived").active_readers < 2) {
      std::this_thread::sleep_for(1ms);
    }
    std::vector<double> local(60, -1.0);
    for (std::int64_t k = 0; k < derived_iterations; ++k) {
      for (std::int64_t i = 0; i < 4; ++i) {
        for (std::int64_t j = 0; j < 8; ++j) {
          local[static_cast<std::size_t>((i + 1) * 10 + j + 1)] = derived_value(k, i, j);
        }
      }
      derived.publish(k, local.data());
    }
    producer.close();
    // The analytics rank has read everything: let the simulation end.
    MPI_Recv(nullptr, 0, MPI_BYTE, rt.ranks_of(Role::analytics).front(), 8, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    MPI_Send(nullptr, 0, MPI_BYTE, rt.ranks_of(Role::simulation).front(), 9, MPI_COMM_WORLD);
    EXPECT_EQ(streams.progress("derived").published,
              static_cast<std::uint64_t>(derived_iterations));
  } else {
    Consumer consumer(rt);
    EXPECT_EQ(consumer.streams().size(), 1u);  // only the simulation's at set-up
    consumer.start();
    // Not there yet: subscribing is refused with the streams there are, until it is.
    Subscription* in_place = nullptr;
    for (int tries = 0; in_place == nullptr && tries < 60000; ++tries) {
      try {
        in_place = &consumer.subscribe<double>("derived");
      } catch (const NotFound& e) {
        EXPECT_TRUE(std::string(e.what()).find("temperature") != std::string::npos);
        std::this_thread::sleep_for(1ms);
      }
    }
    EXPECT_TRUE(in_place != nullptr);
    if (in_place != nullptr) {
      auto& pulled = consumer.subscribe<double>("derived", Selection{{1, 2}, {3, 5}, {}});
      pulled.force_remote();
      EXPECT_EQ(consumer.streams().size(), 2u);
      for (std::int64_t k = 0; k < derived_iterations; ++k) {
        auto step = in_place->next(30s);
        EXPECT_TRUE(step.ok() && step.iteration() == k);
        if (step.ok()) {
          // In place wherever the pool is a shared window (one node, osc sm).
          EXPECT_TRUE(step.in_place() == (std::getenv("OMPI_MCA_osc") == nullptr ||
                                          std::string(std::getenv("OMPI_MCA_osc")) != "pt2pt"));
          EXPECT_EQ(wrong(step.data<double>(), k), 0);
        }
        auto part = pulled.next(30s);
        EXPECT_TRUE(part.ok() && part.iteration() == k && !part.in_place());
        if (part.ok()) {
          const auto data = part.data<double>();
          std::int64_t bad = 0;
          for (std::int64_t i = 0; i < 3; ++i) {
            for (std::int64_t j = 0; j < 5; ++j) {
              bad += data[static_cast<std::size_t>(i * 5 + j)] != derived_value(k, i + 1, j + 2);
            }
          }
          EXPECT_EQ(bad, 0);
        }
      }
      EXPECT_TRUE(in_place->next(30s).status() == StepStatus::end_of_stream);
      EXPECT_TRUE(pulled.next(30s).status() == StepStatus::end_of_stream);
      EXPECT_EQ(pulled.counters().bytes_pulled,
                static_cast<std::uint64_t>(derived_iterations * 15 * 8));
    }
    MPI_Send(nullptr, 0, MPI_BYTE, rt.ranks_of(Role::scheduler).front(), 8, MPI_COMM_WORLD);
    consumer.close();
  }
  rt.free();
}
