// The heat2d histogram (16 bins over [0, 100]): each xsimd version next to the scalar
// reference, for float and double, on random values (a sixth of them out of range) and
// on a smooth field (runs of neighbours in the same bin), from L1-resident arrays to
// arrays four times the L3.
//
//   build/bench/kernels/bm_kernels_histogram --benchmark_min_time=0.2
//   build/bench/kernels/bm_kernels_histogram --benchmark_filter='/smooth/'
//
// Rows are named histogram/type/field/elements/isa; bytes_per_second counts the bytes
// read, and vs_scalar is the speedup over the scalar row of the same group (same run).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "side_by_side.hpp"
#include "sluice/kernels/histogram.hpp"

namespace k = sluice::kernels;
using kernel_bench::measure;

namespace {

const k::HistogramSpec heat2d{0.0, 100.0, 16};

template <typename T>
void register_field(const std::string& field, std::span<const T> (*values)(std::size_t)) {
  for (const std::size_t n : kernel_bench::lengths) {
    for (const k::Isa isa : k::available_isas()) {
      const std::string key = std::string("histogram/") + kernel_bench::type_tag<T>() + '/' +
                              field + '/' + std::to_string(n);
      benchmark::RegisterBenchmark((key + '/' + std::string(k::isa_name(isa))).c_str(),
                                   [=](benchmark::State& state) {
                                     const std::span<const T> data = values(n);
                                     std::vector<std::uint64_t> counts(heat2d.bins);
                                     measure(state, key, isa, n * sizeof(T), [&] {
                                       k::histogram(data, heat2d, counts, isa);
                                       benchmark::DoNotOptimize(counts.data());
                                       benchmark::ClobberMemory();
                                     });
                                   });
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  register_field<float>("random", &kernel_bench::random_field<float>);
  register_field<float>("smooth", &kernel_bench::smooth_field<float>);
  register_field<double>("random", &kernel_bench::random_field<double>);
  register_field<double>("smooth", &kernel_bench::smooth_field<double>);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
