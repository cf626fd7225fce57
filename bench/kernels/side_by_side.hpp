#pragma once
// What the kernel benchmarks share: the arrays they read and the speedup counter.
//
// Every kernel is registered once per available Isa, scalar first, so the output lists
// the versions of one kernel at one size next to each other. The scalar reference is the
// baseline: the other rows carry `vs_scalar`, the scalar time divided by theirs, both
// measured in the same run.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "sluice/kernels/isa.hpp"

namespace kernel_bench {

/// From L1-resident (4096 doubles = 32 KiB) over L2 and L3 to main memory
/// (16M doubles = 128 MiB, four times a 32 MiB L3).
inline const std::vector<std::size_t> lengths{std::size_t{1} << 12, std::size_t{1} << 16,
                                              std::size_t{1} << 20, std::size_t{1} << 24};

/// Values as a temperature field in degrees: uniform over [-10, 110), so that a sixth fall
/// outside the [0, 100] histogram range. Made once, large enough for every length.
template <typename T>
std::span<const T> random_field(std::size_t n) {
  static const std::vector<T> values = [] {
    std::vector<T> v(lengths.back());
    std::mt19937_64 engine(42);
    std::uniform_real_distribution<T> distribution(T{-10}, T{110});
    for (T& x : v) {
      x = distribution(engine);
    }
    return v;
  }();
  return std::span<const T>(values).first(n);
}

/// A smooth field (long waves between 5 and 95 degrees with a little noise): runs of
/// neighbours share a histogram bin, as in a diffusing heat field.
template <typename T>
std::span<const T> smooth_field(std::size_t n) {
  static const std::vector<T> values = [] {
    std::vector<T> v(lengths.back());
    std::mt19937_64 engine(7);
    std::uniform_real_distribution<double> noise(-0.05, 0.05);
    for (std::size_t i = 0; i < v.size(); ++i) {
      v[i] = static_cast<T>(50.0 + 45.0 * std::sin(static_cast<double>(i) * 1e-3) + noise(engine));
    }
    return v;
  }();
  return std::span<const T>(values).first(n);
}

/// Runs `body` for every iteration of `state`, reports bytes/s for `bytes` per iteration
/// and, for Isas other than scalar, the speedup over the scalar run registered under the
/// same `key` earlier in this process.
template <typename Body>
void measure(benchmark::State& state, const std::string& key, sluice::kernels::Isa isa,
             std::size_t bytes, Body&& body) {
  static std::map<std::string, double> scalar_seconds;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    body();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double seconds = elapsed.count() / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  if (isa == sluice::kernels::Isa::scalar) {
    scalar_seconds[key] = seconds;
  } else if (const auto it = scalar_seconds.find(key); it != scalar_seconds.end()) {
    state.counters["vs_scalar"] = it->second / seconds;
  }
}

/// "f32" or "f64".
template <typename T>
const char* type_tag() {
  return sizeof(T) == sizeof(float) ? "f32" : "f64";
}

}  // namespace kernel_bench
