// Analytics side of the wiring job (see wiring_protocol.hpp): pulls every iteration
// from every simulation rank, verifies each element, and reports the bandwidth.
#include <chrono>
#include <cstdio>
#include <vector>

#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"
#include "wiring_protocol.hpp"

int main(int argc, char** argv) {
  const auto options = wiring::parse(argc, argv, "wiring-consumer");
  sluice::mpi::Environment mpi(argc, argv);
  sluice::Runtime runtime(sluice::Role::analytics,
                          {.required_roles = {sluice::Role::simulation, sluice::Role::analytics}});
  const auto producers = runtime.ranks_of(sluice::Role::simulation);

  auto window = sluice::mpi::Window::allocate(runtime.world(), 0);
  std::vector<double> pulled(static_cast<std::size_t>(options.elements));
  long long mismatches = 0;
  double pull_seconds = 0.0;
  {
    auto epoch = window.lock_all();
    runtime.world().barrier();
    const auto start = std::chrono::steady_clock::now();
    for (int iteration = 1; iteration <= options.iterations; ++iteration) {
      for (int producer : producers) {
        wiring::wait_for_counter(window, producer, wiring::ready_slot,
                                 static_cast<std::uint64_t>(iteration));
        const auto pull_start = std::chrono::steady_clock::now();
        sluice::check_mpi(MPI_Get(pulled.data(), options.elements, MPI_DOUBLE, producer,
                                  wiring::header_bytes, options.elements, MPI_DOUBLE, window.get()),
                          "MPI_Get", "pulling the wiring array");
        window.flush(producer);
        pull_seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - pull_start).count();
        for (int k = 0; k < options.elements; ++k) {
          mismatches +=
              pulled[static_cast<std::size_t>(k)] != wiring::expected_value(producer, iteration, k);
        }
        wiring::write_counter(window, producer, wiring::released_slot,
                              static_cast<std::uint64_t>(iteration));
      }
      if (iteration % 10 == 0 || iteration == options.iterations) {
        std::printf("iteration %3d: pulled from %zu simulation ranks, %lld mismatches so far\n",
                    iteration, producers.size(), mismatches);
      }
    }
    const double total_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double bytes = static_cast<double>(options.iterations) *
                         static_cast<double>(producers.size()) * options.elements * sizeof(double);
    std::printf(
        "wiring %s: %d iterations x %zu simulation ranks, %.1f MiB pulled in %.3f s; "
        "MPI_Get bandwidth %.2f GB/s; %lld mismatched elements\n",
        mismatches == 0 ? "OK" : "FAILED", options.iterations, producers.size(), bytes / (1 << 20),
        total_seconds, bytes / pull_seconds / 1e9, mismatches);
    runtime.world().barrier();
  }
  window.free();
  runtime.free();
  return mismatches == 0 ? 0 : 1;
}
