// Pull bandwidth of a subscription next to a plain memcpy of the same bytes, in one
// MPMD job: a simulation rank keeps publishing (zero-copy) one stream per size and an
// analytics rank measures.
//   bm_memcpy       the floor: memcpy of the same number of bytes
//   bm_memcpy_ring  memcpy from two sources in turn, like a ring of depth 2
//   bm_pull      Subscription::next + release of the whole array: control words,
//                slot headers, one MPI_Get, flush, seqlock check, credit return
// The streams use Policy::skip, so the producer never waits and never overwrites a
// slot being read: every next() pulls a whole, fresh iteration.
//
//   scripts/sluice-mpirun -np 1 build/bench/bm_channel_pull : -np 1 build/bench/bm_channel_pull
//   --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "bench_common.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"

namespace {

constexpr int done_tag = 99;

std::map<std::int64_t, sluice::channel::Subscription*> subscriptions;

std::string stream_name(std::int64_t bytes) { return "block_" + std::to_string(bytes); }

void bm_memcpy(benchmark::State& state) { bench::memcpy_rotating(state, 1, 1); }
void bm_memcpy_ring(benchmark::State& state) { bench::memcpy_rotating(state, 2, 1); }

void bm_pull(benchmark::State& state) {
  auto& subscription = *subscriptions.at(state.range(0));
  for (auto _ : state) {
    auto step = subscription.next(std::chrono::seconds(10));
    if (!step.ok()) {
      state.SkipWithError("no iteration within 10 s");
      break;
    }
    benchmark::DoNotOptimize(step.data<double>().data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["torn_reads"] = static_cast<double>(subscription.counters().torn_reads);
}

BENCHMARK(bm_memcpy)->Apply(bench::sizes);
BENCHMARK(bm_memcpy_ring)->Apply(bench::sizes);
BENCHMARK(bm_pull)->Apply(bench::sizes);

void run_producer(const sluice::Runtime& runtime) {
  sluice::channel::Bridge bridge(runtime);
  std::vector<sluice::channel::Channel*> channels;
  for (std::int64_t bytes : bench::block_sizes) {
    const std::int64_t n = bytes / static_cast<std::int64_t>(sizeof(double));
    channels.push_back(
        &bridge.expose<double>(stream_name(bytes), {{n}, {0}, {n}, {}, {}},
                               {.depth = 2, .policy = sluice::channel::Policy::skip}));
  }
  bridge.start();
  const int reader = runtime.ranks_of(sluice::Role::analytics).front();
  for (std::int64_t iteration = 0;; ++iteration) {
    for (auto* channel : channels) {
      double* slot = channel->slot<double>(iteration);
      slot[0] = static_cast<double>(iteration);
      channel->commit(iteration);
    }
    bridge.end_iteration(iteration);
    int done = 0;
    MPI_Iprobe(reader, done_tag, MPI_COMM_WORLD, &done, MPI_STATUS_IGNORE);
    if (done != 0) {
      MPI_Recv(nullptr, 0, MPI_BYTE, reader, done_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      break;
    }
  }
  bridge.close();
}

void run_reader(const sluice::Runtime& runtime, int argc, char** argv) {
  sluice::channel::Consumer consumer(runtime);
  for (std::int64_t bytes : bench::block_sizes) {
    subscriptions[bytes] = &consumer.subscribe<double>(stream_name(bytes));
  }
  consumer.start();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  MPI_Send(nullptr, 0, MPI_BYTE, runtime.ranks_of(sluice::Role::simulation).front(), done_tag,
           MPI_COMM_WORLD);
  consumer.close();
}

}  // namespace

int main(int argc, char** argv) { return bench::run_mpmd(argc, argv, run_producer, run_reader); }
