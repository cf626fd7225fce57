#pragma once
// The smallest real sluice job: simulation ranks expose an array in an RMA window
// and one analytics rank pulls it every iteration with one-sided MPI_Get. This is
// the wiring the channel layer builds on (and replaces with a full API).
//
// Window layout on each simulation rank (analytics ranks expose nothing):
//   [0] uint64 ready      newest iteration written (set by the producer)
//   [1] uint64 released   newest iteration the consumer finished reading
//   [2...] double data[elements]
// The producer writes iteration i only after released == i - 1, so nothing is ever
// overwritten while read; the consumer pulls iteration i only after ready >= i.

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "sluice/mpi/check.hpp"
#include "sluice/mpi/window.hpp"

namespace wiring {

// Byte displacements: the window's displacement unit is 1.
constexpr MPI_Aint ready_slot = 0;
constexpr MPI_Aint released_slot = sizeof(std::uint64_t);
constexpr MPI_Aint header_bytes = 2 * sizeof(std::uint64_t);

struct Options {
  int iterations = 50;
  int elements = 1 << 16;  // doubles per simulation rank
};

// Every element of iteration i on producer p has a distinct, exactly representable value.
inline double expected_value(int producer, int iteration, int index) {
  return producer * 1.0e9 + iteration * 1.0e6 + index;
}

inline Options parse(int argc, char** argv, const char* program) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: " << program << " [--iters N] [--elements N]\n"
                << "  --iters N     iterations to publish and pull (default 50)\n"
                << "  --elements N  doubles exposed by each simulation rank (default 65536)\n"
                << "Run as an MPMD job: simulation ranks run wiring-producer, one analytics\n"
                << "rank runs wiring-consumer; both must get the same options.\n";
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::cerr << program << ": " << arg << " needs a value (see --help)\n";
      std::exit(2);
    }
    const int value = std::atoi(argv[++i]);
    if (value <= 0) {
      std::cerr << program << ": " << arg << " must be a positive integer\n";
      std::exit(2);
    }
    if (arg == "--iters") {
      options.iterations = value;
    } else if (arg == "--elements") {
      options.elements = value;
    } else {
      std::cerr << program << ": unknown option " << arg << " (see --help)\n";
      std::exit(2);
    }
  }
  return options;
}

// Atomically reads a header counter of `rank`'s window (inside a lock_all epoch).
inline std::uint64_t read_counter(const sluice::mpi::Window& window, int rank, MPI_Aint slot) {
  const std::uint64_t unused = 0;
  std::uint64_t value = 0;
  sluice::check_mpi(
      MPI_Fetch_and_op(&unused, &value, MPI_UINT64_T, rank, slot, MPI_NO_OP, window.get()),
      "MPI_Fetch_and_op", "reading a wiring counter");
  window.flush(rank);
  return value;
}

inline void write_counter(const sluice::mpi::Window& window, int rank, MPI_Aint slot,
                          std::uint64_t value) {
  std::uint64_t previous = 0;
  sluice::check_mpi(
      MPI_Fetch_and_op(&value, &previous, MPI_UINT64_T, rank, slot, MPI_REPLACE, window.get()),
      "MPI_Fetch_and_op", "writing a wiring counter");
  window.flush(rank);
}

// Polls until `rank`'s counter reaches `at_least`, backing off so that an
// oversubscribed peer gets the core it needs.
inline void wait_for_counter(const sluice::mpi::Window& window, int rank, MPI_Aint slot,
                             std::uint64_t at_least) {
  auto pause = std::chrono::microseconds(1);
  while (read_counter(window, rank, slot) < at_least) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(200));
  }
}

}  // namespace wiring
