// Reads the stream of fortran_producer.f90 from C++ and checks every element: the
// Fortran array g(7, 3P) is the row-major stream [3P, 7] with element [j][i] equal to
// g(i + 1, j + 1) = 100 (i + 1) + (j + 1) + 10000 k.
#include <chrono>
#include <cstdio>

#include "sluice/channel/consumer.hpp"
#include "sluice/channel/step_group.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  int failures = 0;
  try {
    sluice::Runtime runtime(sluice::Role::analytics);
    const auto producers =
        static_cast<std::int64_t>(runtime.ranks_of(sluice::Role::simulation).size());
    sluice::channel::Consumer consumer(runtime);
    auto& field = consumer.subscribe<double>("fortran_field");
    auto& step_value = consumer.subscribe_value<std::int64_t>("fortran_step");
    sluice::channel::StepGroup steps({&field, &step_value});
    int iterations = 0;
    while (true) {
      auto both = steps.next(std::chrono::seconds(30));
      if (both.status() == sluice::channel::StepStatus::end_of_stream) {
        break;
      }
      if (!both.ok()) {
        std::fprintf(stderr, "reader: step failed\n");
        return 1;
      }
      const std::int64_t k = both.iteration();
      const auto& step = both[0];
      const sluice::Extents expected_shape{3 * producers, 7};
      if (step.shape() != expected_shape) {
        std::fprintf(stderr, "reader: shape %s, expected %s\n",
                     sluice::to_string(step.shape()).c_str(),
                     sluice::to_string(expected_shape).c_str());
        return 1;
      }
      if (both[1].value<std::int64_t>() != k) {
        ++failures;
      }
      const auto data = step.data<double>();
      for (std::int64_t j = 0; j < 3 * producers; ++j) {
        for (std::int64_t i = 0; i < 7; ++i) {
          const double expected = static_cast<double>(100 * (i + 1) + (j + 1) + 10000 * k);
          const double got = data[static_cast<std::size_t>(j * 7 + i)];
          if (got != expected && failures++ < 10) {
            std::fprintf(stderr, "reader: iteration %lld [%lld][%lld] = %g, expected %g\n",
                         static_cast<long long>(k), static_cast<long long>(j),
                         static_cast<long long>(i), got, expected);
          }
        }
      }
      ++iterations;
    }
    consumer.close();
    runtime.free();
    if (iterations != 2) {
      std::fprintf(stderr, "reader: %d iterations, expected 2\n", iterations);
      return 1;
    }
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "reader: %s\n", e.what());
    return 1;
  }
  if (failures == 0) {
    std::printf("fortran orientation OK\n");
  }
  return failures == 0 ? 0 : 1;
}
