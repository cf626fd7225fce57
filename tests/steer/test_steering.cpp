// Steering over MPI, without Thrift: simulation ranks (--role simulation) run a time
// loop with three parameters; a service process (--role service) steers them through
// a sluice::steer::Link from a second thread, as the steering server does.
//
// Every simulation rank records the iteration at which it first saw each new value;
// they must all agree, and agree with the iteration each call returned. Bad requests
// get their codes and change nothing; pause holds every rank; stop ends the loop on
// every rank before the returned iteration.
#include <mpi.h>

#include <array>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/steer/link.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr int expected_tag = 0x7a;  // service -> simulation rank 0: the returned iterations
constexpr int changes = 4;          // a = 1.5, n = 7, flag = true, a = 2.5

}  // namespace

SLUICE_MPI_TEST(changes_apply_at_the_same_iteration_on_every_rank) {
  Runtime rt(testing::role(), {.required_roles = {Role::simulation, Role::service}});
  if (rt.role() == Role::simulation) {
    channel::Bridge bridge(rt);
    auto a = bridge.param<double>("a", 0.5, {.min = 0.0, .max = 10.0, .doc = "a real"});
    auto n = bridge.param<std::int64_t>("n", 3, {.min = 1, .max = 100});
    auto flag = bridge.param<bool>("flag", false);
    EXPECT_THROW_WITH((void)bridge.param<double>("a", 1.0), InvalidArgument, "already registered");
    EXPECT_THROW_WITH((void)bridge.param<double>("b", 11.0, {.max = 10.0}), InvalidArgument,
                      "the default");

    // seen[c]: the first iteration at which change c was visible here.
    std::array<std::int64_t, changes> seen{-1, -1, -1, -1};
    std::int64_t k = 0;
    for (; !bridge.stop_requested(); ++k) {
      if (seen[0] < 0 && a.value() == 1.5) seen[0] = k;
      if (seen[1] < 0 && n.value() == 7) seen[1] = k;
      if (seen[2] < 0 && flag.value()) seen[2] = k;
      if (seen[3] < 0 && a.value() == 2.5) seen[3] = k;
      // A little work, so that requests arrive in the middle of iterations too.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      bridge.end_iteration(k);
    }
    const std::int64_t ran = k;  // iterations 0 .. ran-1 ran
    bridge.close();

    // The same on every rank...
    std::array<std::int64_t, changes + 1> mine{seen[0], seen[1], seen[2], seen[3], ran};
    std::array<std::int64_t, changes + 1> lowest{};
    std::array<std::int64_t, changes + 1> highest{};
    MPI_Allreduce(mine.data(), lowest.data(), changes + 1, MPI_INT64_T, MPI_MIN, rt.comm().get());
    MPI_Allreduce(mine.data(), highest.data(), changes + 1, MPI_INT64_T, MPI_MAX, rt.comm().get());
    EXPECT_TRUE(lowest == highest);
    // ...and what the calls returned: each change from its iteration, the stop before.
    if (rt.comm().rank() == 0) {
      std::array<std::int64_t, changes + 1> returned{};
      MPI_Recv(returned.data(), changes + 1, MPI_INT64_T, rt.ranks_of(Role::service).front(),
               expected_tag, rt.world().get(), MPI_STATUS_IGNORE);
      EXPECT_TRUE(mine == returned);
    }
  } else {
    // Set-up is job-wide (windows are collective): the service takes part as a reader.
    channel::Consumer consumer(rt);
    consumer.start();
    steer::Link link(rt);
    std::array<std::int64_t, changes + 1> returned{};
    int failures = 0;
    std::thread client([&] {
      auto expect = [&](bool ok) { failures += ok ? 0 : 1; };
      const auto first = link.status(30s);
      expect(first.code == steer::Code::ok && first.params.size() == 3);
      expect(first.params.size() == 3 && first.params[0].name == "a" &&
             std::get<double>(first.params[0].value) == 0.5 && first.params[0].min &&
             std::get<double>(*first.params[0].max) == 10.0);

      returned[0] = link.set("a", 1.5, 30s).iteration;
      returned[1] = link.set("n", std::int64_t{7}, 30s).iteration;
      returned[2] = link.set("flag", true, 30s).iteration;
      // Refused, with their codes; nothing changes.
      expect(link.set("nope", 1.0, 30s).code == steer::Code::unknown_name);
      expect(link.set("a", std::int64_t{1}, 30s).code == steer::Code::wrong_type);
      expect(link.set("a", std::numeric_limits<double>::quiet_NaN(), 30s).code ==
             steer::Code::out_of_range);
      expect(link.set("a", 10.5, 30s).code == steer::Code::out_of_range);
      expect(link.set("n", std::int64_t{0}, 30s).code == steer::Code::out_of_range);
      const auto after_refusals = link.status(30s);
      expect(std::get<double>(after_refusals.params[0].value) == 1.5);
      expect(after_refusals.params[0].since_iteration == returned[0]);

      // Pause: the simulation holds before the returned iteration.
      const auto paused = link.pause(30s);
      expect(paused.code == steer::Code::ok && paused.paused);
      std::this_thread::sleep_for(100ms);
      const auto while_paused = link.status(30s);
      expect(while_paused.paused && while_paused.iteration == paused.iteration - 1);
      // Changes made while paused hold from the iteration the simulation resumes with.
      returned[3] = link.set("a", 2.5, 30s).iteration;
      expect(returned[3] == paused.iteration);
      const auto resumed = link.resume(30s);
      expect(resumed.code == steer::Code::ok && !resumed.paused &&
             resumed.iteration == paused.iteration);
      std::this_thread::sleep_for(20ms);
      returned[4] = link.stop(30s).iteration;
    });
    while (link.pump()) {
    }
    client.join();
    EXPECT_EQ(failures, 0);
    EXPECT_TRUE(link.finished());
    // After the end, calls fail at once with "finished".
    EXPECT_TRUE(link.status(1s).code == steer::Code::finished);
    MPI_Send(returned.data(), changes + 1, MPI_INT64_T, rt.ranks_of(Role::simulation).front(),
             expected_tag, rt.world().get());
    consumer.close();
  }
  rt.free();
}
