// Cost of publishing one iteration, next to a plain memcpy of the same block:
//   bm_memcpy             the floor for any copy
//   bm_memcpy_ring        memcpy alternating two destinations, like a ring of depth 2
//   bm_publish_copy       Channel::publish (copies the owned region into the slot)
//   bm_publish_zero_copy  Channel::slot + commit (the simulation computed in place)
//   bm_publish_zero_copy_tapped  the same while a reader outside the job taps the
//                         stream (here a sluice::shm::Tap in this process): each commit
//                         then also copies the block into the node's shared segment
//   bm_publish_zero_copy_c  the same through the C API (sluice_slot + sluice_commit),
//                         side by side with bm_publish_zero_copy: the cost of the C layer
// One simulation process, no in-job reader: this is the producer's own overhead.
//
//   scripts/sluice-mpirun -np 1 build/bench/bm_channel_publish --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "handles.hpp"  // src/capi: the C handle's Bridge serves the C++ variants too
#include "sluice/channel/bridge.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/shm/tap.hpp"
#include "sluice/sluice.h"

namespace {

std::map<std::int64_t, sluice::channel::Channel*> channels;  // by block size in bytes
std::map<std::int64_t, sluice_stream*> c_streams;            // the same sizes, C API
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

void bm_publish_zero_copy_c(benchmark::State& state) {
  sluice_stream* stream = c_streams.at(state.range(0));
  for (auto _ : state) {
    void* slot = nullptr;
    if (sluice_slot(stream, next_iteration, 0, SLUICE_F64, &slot) != SLUICE_OK ||
        sluice_commit(stream, next_iteration++) != SLUICE_OK) {
      state.SkipWithError(sluice_last_error());
      break;
    }
    benchmark::DoNotOptimize(slot);
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
// Sizes up to 8 MiB only: the ring of the larger ones would not fit in the default pool
// twice, and without a copy the cost does not depend on the size.
BENCHMARK(bm_publish_zero_copy_c)->Arg(64 << 10)->Arg(1 << 20)->Arg(8 << 20);
BENCHMARK(bm_publish_zero_copy_tapped)->Apply(bench::sizes);

}  // namespace

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  // Started through the C API; the C++ variants use the same Bridge, so both publish
  // on one runtime, one pool and the same job.
  MPI_Comm sim = MPI_COMM_NULL;
  sluice_bridge* c_bridge = nullptr;
  if (sluice_init_split(&sim, &c_bridge) != SLUICE_OK) {
    std::fprintf(stderr, "bm_channel_publish: %s\n", sluice_last_error());
    return 1;
  }
  sluice::channel::Bridge& the_bridge = *c_bridge->bridge;
  for (std::int64_t bytes : bench::block_sizes) {
    const std::int64_t n = bytes / static_cast<std::int64_t>(sizeof(double));
    channels[bytes] =
        &the_bridge.expose<double>("block_" + std::to_string(bytes), {{n}, {0}, {n}, {}, {}});
    if (bytes > (8 << 20)) {
      continue;
    }
    const sluice_layout layout = {.ndims = 1,
                                  .global_shape = {n},
                                  .block_start = {0},
                                  .block_count = {n},
                                  .local_shape = {},
                                  .local_offset = {}};
    sluice_stream* stream = nullptr;
    if (sluice_expose(c_bridge, ("c_block_" + std::to_string(bytes)).c_str(), SLUICE_F64, &layout,
                      1, nullptr, &stream) != SLUICE_OK) {
      std::fprintf(stderr, "bm_channel_publish: %s\n", sluice_last_error());
      return 1;
    }
    c_streams[bytes] = stream;
  }
  the_bridge.start();
  job = the_bridge.job_id();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return sluice_finalize(&c_bridge) == SLUICE_OK ? 0 : 1;
}
