// Reader leases under Policy::block: a reader that stops reading while it holds an
// iteration (a stopped process, a deadlocked analysis) is evicted once the producers
// have waited for it longer than the stream's lease, on every producing rank; the
// simulation finishes, nothing is lost for the other readers, and the evicted reader
// learns it at its next step and may subscribe again.
//
// Simulation ranks publish "field" (lease 1 s in its options) and "by_env" (the
// lease from SLUICE_READER_LEASE, which the test sets to 0.8 s: long enough that the
// reader that keeps reading is not evicted when a loaded machine or the sanitizers
// slow it down), rows split over the
// ranks, depth 2, until the stopped reader came back, then 20 more. Analytics rank 0
// takes iteration 0 of both and stops itself (SIGSTOP); simulation rank 0 continues it
// (SIGCONT) once it was evicted from both streams; it then gets the eviction, subscribes
// again and reads to the end. Analytics rank 1 reads every iteration of both.
#include <mpi.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/stream_catalog.hpp"

using namespace sluice;
using namespace sluice::channel;
using namespace std::chrono_literals;

namespace {

constexpr int pid_tag = 79;
constexpr std::int64_t rows = 4;
constexpr std::int64_t cols = 8;

double value(std::int64_t k, std::int64_t i, std::int64_t j) {
  return static_cast<double>(k * 100 + i * cols + j);
}

std::int64_t wrong(const Step& step) {
  const auto data = step.data<double>();
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      bad += data[static_cast<std::size_t>(i * cols + j)] != value(step.iteration(), i, j);
    }
  }
  return bad;
}

}  // namespace

SLUICE_MPI_TEST(a_reader_that_stops_is_evicted_and_the_simulation_goes_on) {
  Runtime rt(testing::role(), {.required_roles = {Role::simulation, Role::analytics}});
  const std::string streams[] = {"field", "by_env"};
  if (rt.role() == Role::simulation) {
    Bridge bridge(rt);
    const std::int64_t mine = rows / rt.comm().size();
    const std::int64_t first = rt.comm().rank() * mine;
    const Layout layout{{rows, cols}, {first, 0}, {mine, cols}, {}, {}};
    Channel* channels[] = {
        &bridge.expose<double>("field", layout,
                               {.depth = 2, .policy = Policy::block, .reader_lease = 1s}),
        &bridge.expose<double>("by_env", layout, {.depth = 2, .policy = Policy::block})};
    // Publishes until the stuck reader has been evicted and has subscribed again, then
    // 20 iterations more (decided together: every rank publishes the same ones).
    StreamCatalog catalog(rt);
    std::int64_t last = -1;
    // Simulation rank 0 learns the stopped reader's pid, to continue it.
    int stopped_pid = 0;
    MPI_Request pid_request = MPI_REQUEST_NULL;
    if (rt.comm().rank() == 0) {
      MPI_Irecv(&stopped_pid, 1, MPI_INT, rt.ranks_of(Role::analytics).front(), pid_tag,
                MPI_COMM_WORLD, &pid_request);
    }
    bool continued = false;
    for (std::int64_t k = 0; last < 0 || k <= last; ++k) {
      for (Channel* channel : channels) {
        double* slot = channel->slot<double>(k);
        for (std::int64_t i = 0; i < mine; ++i) {
          for (std::int64_t j = 0; j < cols; ++j) {
            slot[i * cols + j] = value(k, first + i, j);
          }
        }
        channel->commit(k);
      }
      bridge.end_iteration(k);
      if (pid_request != MPI_REQUEST_NULL) {
        int arrived = 0;
        MPI_Test(&pid_request, &arrived, MPI_STATUS_IGNORE);
      }
      if (!continued && pid_request == MPI_REQUEST_NULL && rt.comm().rank() == 0 &&
          catalog.progress("field").evicted == 1 && catalog.progress("by_env").evicted == 1) {
        continued = kill(stopped_pid, SIGCONT) == 0;
        EXPECT_TRUE(continued);
      }
      if (last < 0) {
        const auto field = catalog.progress("field");
        int back = field.evicted == 1 && field.active_readers == 2 ? 1 : 0;
        MPI_Allreduce(MPI_IN_PLACE, &back, 1, MPI_INT, MPI_MAX, rt.comm().get());
        last = back != 0 ? k + 20 : (k > 100'000 ? k : -1);
      }
      std::this_thread::sleep_for(2ms);
    }
    // Every iteration was published although a reader stopped while the producers
    // needed it: it was evicted once per stream, whichever rank evicted it first. (The
    // progress is the producers' together: every rank is done publishing first.)
    MPI_Barrier(rt.comm().get());
    for (const auto& name : streams) {
      const auto progress = catalog.progress(name);
      EXPECT_EQ(progress.published, static_cast<std::uint64_t>(last + 1));
      EXPECT_EQ(progress.evicted, 1u);
    }
    EXPECT_TRUE(last < 100'000);
    bridge.close();
  } else if (rt.comm().rank() == 0) {
    // The stuck reader.
    Consumer consumer(rt);
    Subscription* subscriptions[] = {&consumer.subscribe<double>("field"),
                                     &consumer.subscribe<double>("by_env")};
    for (Subscription* sub : subscriptions) {
      const auto step = sub->next(30s);
      EXPECT_TRUE(step.ok() && step.iteration() == 0);
    }
    // Stops, holding iteration 0 of both; simulation rank 0 continues it.
    const int pid = static_cast<int>(getpid());
    MPI_Send(&pid, 1, MPI_INT, rt.ranks_of(Role::simulation).front(), pid_tag, MPI_COMM_WORLD);
    raise(SIGSTOP);
    for (std::size_t n = 0; n < 2; ++n) {
      const auto step = subscriptions[n]->next(30s);
      EXPECT_EQ(step_status_name(step.status()), "error");
      const std::string error(step.error());
      EXPECT_TRUE(error.find("evicted from stream '" + streams[n] + "'") != std::string::npos);
      EXPECT_TRUE(error.find("reader lease") != std::string::npos);
      EXPECT_TRUE(subscriptions[n]->is_closed());
    }
    // Subscribing again works: the stream goes on from where it is, whole, to its end.
    auto& again = consumer.subscribe<double>("field");
    std::int64_t last = -1;
    std::int64_t bad = 0;
    for (;;) {
      const auto step = again.next(30s);
      if (step.status() == StepStatus::end_of_stream) {
        break;
      }
      EXPECT_TRUE(step.ok());
      if (!step.ok()) {
        break;
      }
      EXPECT_TRUE(step.iteration() > last);
      last = step.iteration();
      bad += wrong(step);
    }
    EXPECT_TRUE(last >= 20);
    EXPECT_EQ(bad, 0);
  } else {
    // A reader that keeps reading loses nothing: every iteration, in order, to the end.
    Consumer consumer(rt);
    Subscription* subscriptions[] = {&consumer.subscribe<double>("field"),
                                     &consumer.subscribe<double>("by_env")};
    std::int64_t bad = 0;
    std::int64_t expected = 0;
    for (bool ended = false; !ended; ++expected) {
      for (Subscription* sub : subscriptions) {  // both streams, iteration by iteration
        const auto step = sub->next(30s);
        if (step.status() == StepStatus::end_of_stream) {
          ended = true;
          continue;
        }
        EXPECT_TRUE(step.ok() && step.iteration() == expected);
        if (!step.ok()) {
          std::fprintf(stderr, "the reader that keeps reading got %s at iteration %lld: %s\n",
                       std::string(step_status_name(step.status())).c_str(),
                       static_cast<long long>(expected), std::string(step.error()).c_str());
          return;
        }
        bad += wrong(step);
      }
    }
    EXPECT_TRUE(expected > 20);
    EXPECT_EQ(bad, 0);
  }
  rt.free();
}
