// Cost of publishing one iteration, next to a plain memcpy of the same block:
//   bm_memcpy             the floor for any copy
//   bm_memcpy_ring        memcpy alternating two destinations, like a ring of depth 2
//   bm_publish_copy       Channel::publish (copies the owned region into the slot)
//   bm_publish_zero_copy  Channel::slot + commit (the simulation computed in place)
//   bm_publish_zero_copy_tapped  the same while a reader outside the job taps the
//                         stream (here a sluice::shm::Tap in this process): each commit
//                         then also copies the block into the node's shared segment
// One simulation process, no in-job reader: this is the producer's own overhead.
//
//   scripts/sluice-mpirun -np 1 build/bench/bm_channel_publish --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/shm/tap.hpp"

namespace {

std::map<std::int64_t, sluice::channel::Channel*> channels;  // by block size in bytes
std::int64_t next_iteration = 0;
std::string job;  // the id external readers find the streams under

void bm_memcpy(benchmark::State& state) { bench::memcpy_rotating(state, 1, 1); }
void bm_memcpy_ring(benchmark::State& state) { bench::memcpy_rotating(state, 1, 2); }

void bm_publish_copy(benchmark::State& state) {
  auto& channel = *channels.at(state.range(0));
  std::vector<double> field(static_cast<std::size_t>(state.range(0)) / sizeof(double), 1.0);
  for (auto _ : state) {
    channel.publish(next_iteration++, field.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void bm_publish_zero_copy(benchmark::State& state) {
  auto& channel = *channels.at(state.range(0));
  for (auto _ : state) {
    double* slot = channel.slot<double>(next_iteration);
    benchmark::DoNotOptimize(slot);
    channel.commit(next_iteration++);
  }
}

void bm_publish_zero_copy_tapped(benchmark::State& state) {
  auto& channel = *channels.at(state.range(0));
  sluice::shm::Tap tap(job, channel.info().name);  // its heartbeat turns the copies on
  for (auto _ : state) {
    double* slot = channel.slot<double>(next_iteration);
    benchmark::DoNotOptimize(slot);
    channel.commit(next_iteration++);
    if (next_iteration % 64 == 0) {
      state.PauseTiming();
      (void)tap.newest_iteration();  // keeps the heartbeat fresh
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

BENCHMARK(bm_memcpy)->Apply(bench::sizes);
BENCHMARK(bm_memcpy_ring)->Apply(bench::sizes);
BENCHMARK(bm_publish_copy)->Apply(bench::sizes);
BENCHMARK(bm_publish_zero_copy)->Apply(bench::sizes);
BENCHMARK(bm_publish_zero_copy_tapped)->Apply(bench::sizes);

}  // namespace

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  sluice::Runtime runtime(sluice::Role::simulation);
  sluice::channel::Bridge the_bridge(runtime);
  for (std::int64_t bytes : bench::block_sizes) {
    const std::int64_t n = bytes / static_cast<std::int64_t>(sizeof(double));
    channels[bytes] =
        &the_bridge.expose<double>("block_" + std::to_string(bytes), {{n}, {0}, {n}, {}, {}});
  }
  the_bridge.start();
  job = the_bridge.job_id();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  the_bridge.close();
  runtime.free();
  return 0;
}
