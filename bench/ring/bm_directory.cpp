// Metadata round trip: Directory::get of a small value from the scheduler that owns
// it (one hop), next to a zero-byte MPI ping-pong between the same two processes,
// the floor for any request/reply over MPI. With a third process (a spare scheduler),
// also a membership change: the spare joins and leaves again with 1,000 keys stored,
// each half moving the keys the spare owns.
//
//   scripts/sluice-mpirun -np 3 build/bench/ring/bm_ring_directory
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstring>
#include <string>

#include "sluice/mpi/environment.hpp"
#include "sluice/ring/directory.hpp"
#include "sluice/ring/scheduler.hpp"
#include "sluice/runtime/runtime.hpp"

namespace {

constexpr int ping_tag = 7;
constexpr int switch_tag = 8;  // the ping-pong baseline is over, the ring takes over
sluice::ring::Directory* directory = nullptr;
int scheduler_rank = 0;
bool switched = false;

void switch_to_ring() {
  if (!switched) {
    MPI_Send(nullptr, 0, MPI_BYTE, scheduler_rank, switch_tag, MPI_COMM_WORLD);
    directory->put("stream/temperature", "f64 [2048, 2048] depth 2 block");
    switched = true;
  }
}

void bm_mpi_round_trip(benchmark::State& state) {
  for (auto _ : state) {
    MPI_Send(nullptr, 0, MPI_BYTE, scheduler_rank, ping_tag, MPI_COMM_WORLD);
    MPI_Recv(nullptr, 0, MPI_BYTE, scheduler_rank, ping_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
}

void bm_directory_get(benchmark::State& state) {
  switch_to_ring();
  for (auto _ : state) {
    benchmark::DoNotOptimize(directory->get("stream/temperature"));
  }
}

int spare_rank = -1;

void bm_join_and_leave(benchmark::State& state) {
  switch_to_ring();
  if (spare_rank < 0) {
    state.SkipWithError("run with 3 processes: the third is the spare scheduler");
    return;
  }
  for (int k = 0; k < 1000; ++k) {
    directory->put("stream/" + std::to_string(k), std::string(64, 'm'));
  }
  for (auto _ : state) {
    directory->join(spare_rank);
    directory->leave(spare_rank);
  }
  state.counters["changes_per_s"] = benchmark::Counter(
      2.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(bm_mpi_round_trip);
BENCHMARK(bm_directory_get);
BENCHMARK(bm_join_and_leave)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // World rank 0 serves (first answering the ping-pong baseline, then the ring);
  // world rank 2, if any, is a spare scheduler.
  const bool is_scheduler = rank != 1;
  sluice::Runtime runtime(is_scheduler ? sluice::Role::scheduler : sluice::Role::analytics,
                          {.required_roles = {sluice::Role::scheduler}});
  if (rank == 2) {
    sluice::ring::Scheduler spare(runtime, {.spare = true});
    spare.serve_until_stopped();
  } else if (is_scheduler) {
    const int client = runtime.ranks_of(sluice::Role::analytics).front();
    for (;;) {
      MPI_Status status;
      MPI_Recv(nullptr, 0, MPI_BYTE, client, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
      if (status.MPI_TAG == switch_tag) {
        break;
      }
      MPI_Send(nullptr, 0, MPI_BYTE, client, ping_tag, MPI_COMM_WORLD);
    }
    sluice::ring::Scheduler scheduler(runtime);
    scheduler.serve_until_stopped();
  } else {
    sluice::ring::Directory the_directory(runtime);
    directory = &the_directory;
    scheduler_rank = runtime.ranks_of(sluice::Role::scheduler).front();
    if (runtime.ranks_of(sluice::Role::scheduler).size() > 1) {
      spare_rank = runtime.ranks_of(sluice::Role::scheduler)[1];
    }
    benchmark::Initialize(&argc, argv);
    // The baseline runs first (registration order); the ring then takes over.
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    switch_to_ring();
    the_directory.stop_schedulers();
  }
  runtime.free();
  return 0;
}
