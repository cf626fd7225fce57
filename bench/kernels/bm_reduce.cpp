// sum, min, max, count and summary: each xsimd version next to the scalar reference, for
// float and double, from L1-resident arrays to arrays four times the L3.
//
//   build/bench/kernels/bm_kernels_reduce --benchmark_min_time=0.2
//   build/bench/kernels/bm_kernels_reduce --benchmark_filter='^sum/f64/4096/'
//
// Rows are named kernel/type/elements/isa; bytes_per_second counts the bytes read, and
// vs_scalar is the speedup over the scalar row of the same group (same run).
#include <benchmark/benchmark.h>

#include <span>
#include <string>

#include "side_by_side.hpp"
#include "sluice/kernels/reduce.hpp"

namespace k = sluice::kernels;
using kernel_bench::measure;

namespace {

template <typename T, typename Kernel>
void register_kernel(const std::string& kernel, Kernel run) {
  for (const std::size_t n : kernel_bench::lengths) {
    for (const k::Isa isa : k::available_isas()) {
      const std::string key = kernel + '/' + kernel_bench::type_tag<T>() + '/' + std::to_string(n);
      benchmark::RegisterBenchmark(
          (key + '/' + std::string(k::isa_name(isa))).c_str(), [=](benchmark::State& state) {
            const std::span<const T> data = kernel_bench::random_field<T>(n);
            measure(state, key, isa, n * sizeof(T),
                    [&] { benchmark::DoNotOptimize(run(data, isa)); });
          });
    }
  }
}

template <typename T>
void register_all() {
  using Data = std::span<const T>;
  register_kernel<T>("sum", [](Data d, k::Isa isa) { return k::sum(d, isa); });
  register_kernel<T>("min", [](Data d, k::Isa isa) { return k::min(d, isa); });
  register_kernel<T>("max", [](Data d, k::Isa isa) { return k::max(d, isa); });
  register_kernel<T>("count", [](Data d, k::Isa isa) { return k::count(d, isa); });
  register_kernel<T>("summary", [](Data d, k::Isa isa) { return k::summary(d, isa); });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  register_all<float>();
  register_all<double>();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
