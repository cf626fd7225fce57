// The operator keeps control of a simulation stalled by a reader: while a `block`
// stream waits on a reader that stopped (here with no reader lease, so that only the
// operator can end the wait), status answers at once and says what the simulation
// waits on, pause and resume are answered at once with the iteration they hold from,
// and stop ends the wait and the simulation.
//
// Simulation ranks publish "field" (depth 2, reader lease 0: never evict) until
// stopped. The analytics rank takes iteration 0 and holds it until the service says
// the test is over, then finds it was evicted. The service process steers through a
// sluice::steer::Link: status until it reports the wait, then stop.
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/steer/link.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {
constexpr int over_tag = 78;
constexpr std::int64_t most = 1'000'000;
}  // namespace

SLUICE_MPI_TEST(status_and_stop_reach_a_simulation_that_waits_on_a_reader) {
  Runtime rt(testing::role(),
             {.required_roles = {Role::simulation, Role::analytics, Role::service}});
  if (rt.role() == Role::simulation) {
    channel::Bridge bridge(rt);
    const std::int64_t rows = 2 * rt.comm().size();
    auto& field =
        bridge.expose<double>("field", {{rows, 4}, {2 * rt.comm().rank(), 0}, {2, 4}, {}, {}},
                              {.depth = 2, .policy = channel::Policy::block, .reader_lease = 0s});
    std::int64_t k = 0;
    for (; !bridge.stop_requested() && k < most; ++k) {
      double* slot = field.slot<double>(k);
      for (int e = 0; e < 8; ++e) {
        slot[e] = static_cast<double>(k);
      }
      field.commit(k);
      bridge.end_iteration(k);
    }
    EXPECT_TRUE(k < most);  // the stop ended it, not the count
    bridge.close();
  } else if (rt.role() == Role::analytics) {
    channel::Consumer consumer(rt);
    auto& sub = consumer.subscribe<double>("field");
    const auto first = sub.next(30s);
    EXPECT_TRUE(first.ok() && first.iteration() == 0);
    // Holds iteration 0 (as a stopped process would) until the service is done.
    int over = 0;
    MPI_Recv(&over, 1, MPI_INT, rt.ranks_of(Role::service).front(), over_tag, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    const auto next = sub.next(30s);
    EXPECT_TRUE(next.status() == channel::StepStatus::error &&
                next.error().find("evicted from stream 'field'") != std::string::npos);
  } else {
    rt.start();  // neither produces nor reads: takes part in the job's start
    steer::Link link(rt);
    std::atomic<int> failures = 0;
    std::string waiting;
    std::thread client([&] {
      auto expect = [&](bool ok) { failures += ok ? 0 : 1; };
      // Status answers while the simulation waits, and says on what.
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (std::chrono::steady_clock::now() < deadline) {
        const auto status = link.status(5s);
        expect(status.code == steer::Code::ok);
        if (!status.waiting.empty()) {
          waiting = status.waiting;
          break;
        }
        std::this_thread::sleep_for(10ms);
      }
      // Pause and resume are answered while the wait goes on: they hold from the
      // iteration after the one the simulation is publishing.
      const auto last_ended = link.status(5s).iteration;
      const auto paused = link.pause(5s);
      expect(paused.code == steer::Code::ok && paused.paused && paused.iteration == last_ended + 2);
      const auto resumed = link.resume(5s);
      expect(resumed.code == steer::Code::ok && !resumed.paused &&
             resumed.iteration == last_ended + 2);
      // Stop gives way to the wait: answered, and the simulation ends.
      const auto stopped = link.stop(10s);
      expect(stopped.code == steer::Code::ok);
    });
    while (link.pump()) {
    }
    client.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_TRUE(waiting.find("of stream 'field' has waited") != std::string::npos);
    EXPECT_TRUE(waiting.find("analytics rank 0") != std::string::npos);
    EXPECT_TRUE(waiting.find("reader lease none") != std::string::npos);
    int over = 1;
    MPI_Send(&over, 1, MPI_INT, rt.ranks_of(Role::analytics).front(), over_tag, MPI_COMM_WORLD);
  }
  rt.free();
}
