// Raw one-sided bandwidth of the windows sluice allocates, next to a plain memcpy of
// the same bytes: the ceiling any channel pull can reach on this machine.
//
//   scripts/sluice-mpirun -np 2 build/bench/bm_mpi_window --benchmark_min_time=0.2
//
// With two ranks, rank 0 only exposes memory and rank 1 measures (reported lines come
// from rank 1); with one rank the target is the process itself.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstring>
#include <vector>

#include "sluice/mpi/check.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/mpi/window.hpp"

namespace {

constexpr std::size_t max_bytes = std::size_t{256} << 20;

struct Fixture {
  sluice::mpi::Comm comm;
  sluice::mpi::Window window;
  int target = 0;
};
Fixture* fixture = nullptr;

void bm_memcpy(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> source(bytes, std::byte{1});
  std::vector<std::byte> destination(bytes);
  for (auto _ : state) {
    std::memcpy(destination.data(), source.data(), bytes);
    benchmark::DoNotOptimize(destination.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void bm_rma_get(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> destination(bytes);
  auto& f = *fixture;
  auto epoch = f.window.lock_all();
  for (auto _ : state) {
    sluice::check_mpi(MPI_Get(destination.data(), static_cast<int>(bytes), MPI_BYTE, f.target, 0,
                              static_cast<int>(bytes), MPI_BYTE, f.window.get()),
                      "MPI_Get");
    f.window.flush(f.target);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void sizes(benchmark::internal::Benchmark* b) {
  b->RangeMultiplier(8)->Range(64 << 10, static_cast<std::int64_t>(max_bytes));
}

BENCHMARK(bm_memcpy)->Apply(sizes);
BENCHMARK(bm_rma_get)->Apply(sizes);

}  // namespace

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  Fixture f;
  f.comm = sluice::mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  const bool is_target = f.comm.rank() == 0;
  const bool is_measurer = f.comm.rank() == f.comm.size() - 1;
  f.window = sluice::mpi::Window::allocate(f.comm, is_target ? max_bytes : 0);
  if (is_target) {
    std::memset(f.window.base(), 7, max_bytes);
  }
  f.target = 0;
  fixture = &f;
  f.comm.barrier();
  if (is_measurer) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  f.comm.barrier();
  f.window.free();
  f.comm.free();
  return 0;
}
