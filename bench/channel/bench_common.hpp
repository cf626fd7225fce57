#pragma once
// Shared by the channel benchmarks: the block sizes swept, the memcpy baselines
// every measurement is set against, and the main() of two-process MPMD benchmarks.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace bench {

// From in-cache to well beyond the last-level cache.
inline constexpr std::int64_t block_sizes[] = {64 << 10, 1 << 20, 8 << 20, 64 << 20,
                                               std::int64_t{256} << 20};

inline void sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t bytes : block_sizes) {
    b->Arg(bytes);
  }
}

// memcpy of range(0) bytes, from `sources` buffers in turn into `destinations` in
// turn. One each is the plain floor; two on one side has the cache footprint of a
// ring of depth 2, the like-for-like floor at sizes near the cache size.
inline void memcpy_rotating(benchmark::State& state, std::size_t sources,
                            std::size_t destinations) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  std::vector<std::vector<std::byte>> from(sources, std::vector<std::byte>(bytes, std::byte{1}));
  std::vector<std::vector<std::byte>> to(destinations, std::vector<std::byte>(bytes, std::byte{0}));
  std::size_t turn = 0;
  for (auto _ : state) {
    std::memcpy(to[turn % destinations].data(), from[turn % sources].data(), bytes);
    ++turn;
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// main() of a benchmark whose first process produces and whose others read and
// measure: each side gets its Runtime; MPI is set up and torn down here.
template <typename Producer, typename Reader>
int run_mpmd(int argc, char** argv, Producer produce, Reader read) {
  sluice::mpi::Environment mpi(argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sluice::Runtime runtime(rank == 0 ? sluice::Role::simulation : sluice::Role::analytics,
                          {.required_roles = {sluice::Role::simulation, sluice::Role::analytics}});
  if (rank == 0) {
    produce(runtime);
  } else {
    read(runtime, argc, argv);
  }
  runtime.free();
  return 0;
}

}  // namespace bench
