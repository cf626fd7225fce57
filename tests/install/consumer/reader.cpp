// Reads the stream "values" of c_simulation.c or fortran_simulation.f90 (built against
// an installed sluice) and checks every element of its 3 iterations.
#include <chrono>
#include <cstdio>

#include "sluice/channel/consumer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  sluice::Runtime runtime(sluice::Role::analytics);
  sluice::channel::Consumer consumer(runtime);
  auto& values = consumer.subscribe<double>("values");
  int iterations = 0;
  int wrong = 0;
  while (true) {
    auto step = values.next(std::chrono::seconds(30));
    if (step.status() == sluice::channel::StepStatus::end_of_stream) {
      break;
    }
    if (!step.ok()) {
      std::fprintf(stderr, "reader: no step\n");
      return 1;
    }
    const auto data = step.data<double>();
    for (std::size_t i = 0; i < data.size(); ++i) {
      wrong += data[i] != static_cast<double>(i) + 100.0 * static_cast<double>(step.iteration());
    }
    ++iterations;
  }
  consumer.close();
  runtime.free();
  if (iterations != 3 || wrong != 0) {
    std::fprintf(stderr, "reader: %d iterations, %d wrong elements\n", iterations, wrong);
    return 1;
  }
  std::printf("reader OK: 3 iterations\n");
  return 0;
}
