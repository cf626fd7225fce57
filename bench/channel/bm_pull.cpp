// Pull bandwidth of a subscription next to a plain memcpy of the same bytes, in one
// MPMD job: a simulation rank keeps publishing (zero-copy) one stream per size and an
// analytics rank on the same node measures.
//   bm_memcpy       the floor: memcpy of the same number of bytes
//   bm_memcpy_ring  memcpy from two sources in turn, like a ring of depth 2
//   bm_pull      Subscription::next + release of the whole array, remote path: control
//                words, slot headers, one MPI_Get, flush, seqlock check, credit return
//   bm_in_place_acquire  the same step read in place: control words and slot headers,
//                then views into the producer's slot; no byte of data moves
//   bm_in_place_copy     in place, then Step::data(), which assembles a copy
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

std::string stream_name(std::int64_t bytes) { return "block_" + std::to_string(bytes); }

sluice::channel::Consumer* consumer = nullptr;

enum class Path { remote, in_place, in_place_copy };

// One subscription per path and size, made when its benchmark first runs. Under
// Policy::skip a subscriber that stops reading holds every slot (the producer then
// drops every iteration), so the subscription of the previous benchmark on the same
// stream is closed first.
sluice::channel::Subscription& subscription_for(Path path, std::int64_t bytes) {
  static std::map<std::pair<Path, std::int64_t>, sluice::channel::Subscription*> made;
  const auto key = std::pair{path, bytes};
  if (const auto found = made.find(key); found != made.end()) {
    return *found->second;
  }
  for (auto& [other, subscription] : made) {
    if (other.second == bytes) {
      subscription->close();
    }
  }
  auto& subscription = consumer->subscribe<double>(stream_name(bytes));
  if (path == Path::remote) {
    subscription.force_remote();
  }
  made[key] = &subscription;
  return subscription;
}

void bm_memcpy(benchmark::State& state) { bench::memcpy_rotating(state, 1, 1); }
void bm_memcpy_ring(benchmark::State& state) { bench::memcpy_rotating(state, 2, 1); }

void bm_pull(benchmark::State& state) {
  auto& subscription = subscription_for(Path::remote, state.range(0));
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

void read_in_place(benchmark::State& state, bool copy) {
  auto& subscription =
      subscription_for(copy ? Path::in_place_copy : Path::in_place, state.range(0));
  if (!subscription.reads_in_place()) {
    state.SkipWithError("no in-place reads here (a job over several nodes, or osc not sm)");
    return;
  }
  for (auto _ : state) {
    auto step = subscription.next(std::chrono::seconds(10));
    if (!step.ok()) {
      state.SkipWithError("no iteration within 10 s");
      break;
    }
    if (copy) {
      benchmark::DoNotOptimize(step.data<double>().data());
    } else {
      benchmark::DoNotOptimize(step.blocks().front().data);
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void bm_in_place_acquire(benchmark::State& state) { read_in_place(state, false); }
void bm_in_place_copy(benchmark::State& state) { read_in_place(state, true); }

BENCHMARK(bm_memcpy)->Apply(bench::sizes);
BENCHMARK(bm_memcpy_ring)->Apply(bench::sizes);
BENCHMARK(bm_pull)->Apply(bench::sizes);
BENCHMARK(bm_in_place_acquire)->Apply(bench::sizes);
BENCHMARK(bm_in_place_copy)->Apply(bench::sizes);

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
  sluice::channel::Consumer reader(runtime);
  consumer = &reader;
  reader.start();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  MPI_Send(nullptr, 0, MPI_BYTE, runtime.ranks_of(sluice::Role::simulation).front(), done_tag,
           MPI_COMM_WORLD);
  reader.close();
}

}  // namespace

int main(int argc, char** argv) { return bench::run_mpmd(argc, argv, run_producer, run_reader); }
