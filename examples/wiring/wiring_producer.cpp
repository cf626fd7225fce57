// Simulation side of the wiring job (see wiring_protocol.hpp).
#include <cstring>

#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"
#include "wiring_protocol.hpp"

int main(int argc, char** argv) {
  const auto options = wiring::parse(argc, argv, "wiring-producer");
  sluice::mpi::Environment mpi(argc, argv);
  sluice::Runtime runtime(sluice::Role::simulation,
                          {.required_roles = {sluice::Role::simulation, sluice::Role::analytics}});
  const int me = runtime.world_rank();

  const auto data_bytes = static_cast<std::size_t>(options.elements) * sizeof(double);
  auto window = sluice::mpi::Window::allocate(runtime.world(), wiring::header_bytes + data_bytes);
  std::memset(window.base(), 0, wiring::header_bytes);
  auto* data = reinterpret_cast<double*>(window.base() + wiring::header_bytes);
  {
    auto epoch = window.lock_all();
    runtime.world().barrier();  // every window initialised before anyone reads
    for (int iteration = 1; iteration <= options.iterations; ++iteration) {
      // The consumer must be done with the previous iteration before we overwrite it.
      wiring::wait_for_counter(window, me, wiring::released_slot,
                               static_cast<std::uint64_t>(iteration - 1));
      for (int k = 0; k < options.elements; ++k) {
        data[k] = wiring::expected_value(me, iteration, k);
      }
      window.sync();  // the stores above are visible before the counter says so
      wiring::write_counter(window, me, wiring::ready_slot, static_cast<std::uint64_t>(iteration));
    }
    runtime.world().barrier();  // the consumer has pulled everything
  }
  window.free();
  runtime.free();
  return 0;
}
