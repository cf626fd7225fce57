// One iteration of heat2d-analytics' statistics on a band read in place: summary,
// 16-bin histogram over [0, 100], the sum of T_k - T_p against the previous iteration
// and T_k kept as the next previous values, on a rows x cols block of doubles whose rows
// sit between halo cells (row stride cols + 2), as in a producer's slot.
//
// Side by side, per size:
//   memcpy     the block's bytes copied row by row into the previous buffer: the least
//              any version must move (read the field once, write it once). The roofline.
//   copied     what heat2d-analytics did before: assemble a contiguous copy (Step::data),
//              summary, histogram, a scalar dT/dt loop against the previous copy, and a
//              copy of the field as the next previous values: five passes.
//   separate   the strided kernels on the block where it is (summary, histogram), then a
//              scalar loop for the differences and the store: three passes, no copy.
//   fused/ISA  kernels::step_statistics(compare_and_store): one pass, per Isa.
// bytes_per_second counts the block's bytes once; vs_memcpy is memcpy's time over the
// row's time in the same run (1 = as fast as copying the field).
//
//   build/bench/kernels/bm_kernels_step --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/reduce.hpp"
#include "sluice/kernels/step_statistics.hpp"

namespace k = sluice::kernels;

namespace {

const k::HistogramSpec heat2d{0.0, 100.0, 16};

/// A band of `rows` x `cols` with one halo cell each side of every row, a smooth field
/// (neighbours share bins, as in heat2d), and the previous iteration a little colder.
struct Band {
  std::int64_t rows;
  std::int64_t cols;
  std::vector<double> slot;      // (rows + 2) x (cols + 2), halos included
  std::vector<double> previous;  // rows x cols, row-major
  std::vector<double> copy;      // what Step::data() assembled
  std::array<std::int64_t, 2> count;
  std::array<std::int64_t, 2> slot_strides;
  std::array<std::int64_t, 2> previous_strides;

  Band(std::int64_t r, std::int64_t c)
      : rows(r),
        cols(c),
        slot(static_cast<std::size_t>((r + 2) * (c + 2))),
        previous(static_cast<std::size_t>(r * c)),
        copy(static_cast<std::size_t>(r * c)),
        count{r, c},
        slot_strides{c + 2, 1},
        previous_strides{c, 1} {
    for (std::size_t i = 0; i < slot.size(); ++i) {
      slot[i] = 50.0 + 45.0 * std::sin(static_cast<double>(i) * 1e-3);
    }
    for (std::size_t i = 0; i < previous.size(); ++i) {
      previous[i] = 50.0 + 45.0 * std::sin(static_cast<double>(i) * 1e-3) - 0.01;
    }
  }
  [[nodiscard]] const double* first() const { return slot.data() + (cols + 2) + 1; }
  [[nodiscard]] k::StridedBlock<const double> current() const {
    return {first(), count, slot_strides};
  }
  [[nodiscard]] k::StridedBlock<double> before() {
    return {previous.data(), count, previous_strides};
  }
  [[nodiscard]] std::size_t bytes() const {
    return static_cast<std::size_t>(rows * cols) * sizeof(double);
  }
  [[nodiscard]] const double* row(std::int64_t i) const { return first() + i * (cols + 2); }
};

std::map<std::string, double>& memcpy_seconds() {
  static std::map<std::string, double> seconds;
  return seconds;
}

template <typename Body>
void measure(benchmark::State& state, const std::string& key, bool is_memcpy, std::size_t bytes,
             Body&& body) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    body();
    benchmark::ClobberMemory();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double seconds = elapsed.count() / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  if (is_memcpy) {
    memcpy_seconds()[key] = seconds;
  } else if (const auto it = memcpy_seconds().find(key); it != memcpy_seconds().end()) {
    state.counters["vs_memcpy"] = it->second / seconds;
  }
}

void register_size(std::int64_t n) {
  const std::string key = "step/f64/" + std::to_string(n) + "x" + std::to_string(n);
  benchmark::RegisterBenchmark((key + "/memcpy").c_str(), [=](benchmark::State& state) {
    Band band(n, n);
    measure(state, key, true, band.bytes(), [&] {
      for (std::int64_t i = 0; i < n; ++i) {
        std::memcpy(band.previous.data() + i * n, band.row(i), static_cast<std::size_t>(n) * 8);
      }
    });
  });
  benchmark::RegisterBenchmark((key + "/copied").c_str(), [=](benchmark::State& state) {
    Band band(n, n);
    measure(state, key, false, band.bytes(), [&] {
      for (std::int64_t i = 0; i < n; ++i) {
        std::memcpy(band.copy.data() + i * n, band.row(i), static_cast<std::size_t>(n) * 8);
      }
      const std::span<const double> t(band.copy);
      const auto s = k::summary(t);
      std::vector<std::uint64_t> counts(heat2d.bins);
      k::histogram(t, heat2d, counts);
      double dtdt = 0.0;
      for (std::size_t i = 0; i < t.size(); ++i) {
        dtdt += (t[i] - band.previous[i]) / 0.2;
      }
      band.previous.assign(t.begin(), t.end());
      benchmark::DoNotOptimize(s);
      benchmark::DoNotOptimize(dtdt);
      benchmark::DoNotOptimize(counts.data());
    });
  });
  benchmark::RegisterBenchmark((key + "/separate").c_str(), [=](benchmark::State& state) {
    Band band(n, n);
    measure(state, key, false, band.bytes(), [&] {
      const auto s = k::summary(band.current());
      std::vector<std::uint64_t> counts(heat2d.bins);
      k::histogram(band.current(), heat2d, counts);
      double change = 0.0;
      for (std::int64_t i = 0; i < n; ++i) {
        const double* row = band.row(i);
        double* before = band.previous.data() + i * n;
        for (std::int64_t j = 0; j < n; ++j) {
          change += row[j] - before[j];
          before[j] = row[j];
        }
      }
      benchmark::DoNotOptimize(s);
      benchmark::DoNotOptimize(change);
      benchmark::DoNotOptimize(counts.data());
    });
  });
  for (const k::Isa isa : k::available_isas()) {
    benchmark::RegisterBenchmark(
        (key + "/fused/" + std::string(k::isa_name(isa))).c_str(), [=](benchmark::State& state) {
          Band band(n, n);
          std::vector<std::uint64_t> counts(heat2d.bins);
          measure(state, key, false, band.bytes(), [&] {
            const auto r = k::step_statistics(band.current(), band.before(),
                                              k::History::compare_and_store, heat2d, counts, isa);
            benchmark::DoNotOptimize(r);
            benchmark::DoNotOptimize(counts.data());
          });
        });
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  // L2-resident, L3-resident, and heat2d's 2048 x 2048 field over two producers (one
  // band of 1024 rows per producer: 16 MiB) up to the whole field (32 MiB).
  for (const std::int64_t n : {256, 1024, 2048}) {
    register_size(n);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
