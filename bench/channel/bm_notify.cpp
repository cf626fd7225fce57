// Notification latency: time from a producer's commit to the moment a waiting
// reader's next() returns that iteration, for a one-element stream (so the pull
// itself is negligible). The producer stamps each iteration with the steady clock
// (one clock per machine) right before commit; the reader subtracts on return.
// Compared against: the round trip of a zero-byte MPI_Send/MPI_Recv ping-pong
// between the same two processes, the cheapest notification MPI offers.
//
//   scripts/sluice-mpirun -np 1 build/bench/channel/bm_channel_notify : -np 1
//   build/bench/channel/bm_channel_notify
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>

#include "bench_common.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"

namespace {

constexpr int done_tag = 99;
constexpr int switch_tag = 98;  // ping-pong baseline over, channel phase begins
constexpr int ping_tag = 7;
using clock_type = std::chrono::steady_clock;

sluice::channel::Subscription* stamps = nullptr;
int producer_rank = 0;
bool switched = false;

void bm_mpi_ping_pong_half(benchmark::State& state) {
  for (auto _ : state) {
    const auto start = clock_type::now();
    MPI_Send(nullptr, 0, MPI_BYTE, producer_rank, ping_tag, MPI_COMM_WORLD);
    MPI_Recv(nullptr, 0, MPI_BYTE, producer_rank, ping_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    // Half the round trip: one notification.
    state.SetIterationTime(std::chrono::duration<double>(clock_type::now() - start).count() / 2);
  }
}

void bm_commit_to_next(benchmark::State& state) {
  if (!switched) {
    MPI_Send(nullptr, 0, MPI_BYTE, producer_rank, switch_tag, MPI_COMM_WORLD);
    switched = true;
  }
  for (auto _ : state) {
    auto step = stamps->next(std::chrono::seconds(10));
    const auto now = clock_type::now().time_since_epoch().count();
    if (!step.ok()) {
      state.SkipWithError("no iteration within 10 s");
      break;
    }
    const auto committed = static_cast<clock_type::rep>(step.data<std::int64_t>()[0]);
    state.SetIterationTime(static_cast<double>(now - committed) * 1e-9);
  }
}

BENCHMARK(bm_mpi_ping_pong_half)->UseManualTime();
BENCHMARK(bm_commit_to_next)->UseManualTime();

void run_producer(const sluice::Runtime& runtime) {
  sluice::channel::Bridge bridge(runtime);
  // depth 1, block: the next iteration is committed as soon as the reader released
  // the previous one, i.e. while it waits in next().
  auto& channel = bridge.expose<std::int64_t>("stamps", {{1}, {0}, {1}, {}, {}}, {.depth = 1});
  bridge.start();
  const int reader = runtime.ranks_of(sluice::Role::analytics).front();
  // Phase 1: serve the reader's ping-pong baseline.
  for (;;) {
    MPI_Status status;
    MPI_Recv(nullptr, 0, MPI_BYTE, reader, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG != ping_tag) {
      break;  // switch (or done, if the baseline was all that ran)
    }
    MPI_Send(nullptr, 0, MPI_BYTE, reader, ping_tag, MPI_COMM_WORLD);
  }
  // Phase 2: publish stamped iterations until the reader is done.
  for (std::int64_t iteration = 0;; ++iteration) {
    int done = 0;
    MPI_Iprobe(reader, done_tag, MPI_COMM_WORLD, &done, MPI_STATUS_IGNORE);
    if (done != 0) {
      MPI_Recv(nullptr, 0, MPI_BYTE, reader, done_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      break;
    }
    std::int64_t* slot = channel.slot<std::int64_t>(iteration);
    *slot = clock_type::now().time_since_epoch().count();
    channel.commit(iteration);
  }
  bridge.close();
}

void run_reader(const sluice::Runtime& runtime, int argc, char** argv) {
  sluice::channel::Consumer consumer(runtime);
  stamps = &consumer.subscribe<std::int64_t>("stamps");
  consumer.start();  // the producer's start() completes only with ours
  producer_rank = runtime.ranks_of(sluice::Role::simulation).front();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!switched) {
    MPI_Send(nullptr, 0, MPI_BYTE, producer_rank, switch_tag, MPI_COMM_WORLD);
  }
  MPI_Send(nullptr, 0, MPI_BYTE, producer_rank, done_tag, MPI_COMM_WORLD);
  consumer.close();  // releases the producer if it waits for us
}

}  // namespace

int main(int argc, char** argv) { return bench::run_mpmd(argc, argv, run_producer, run_reader); }
