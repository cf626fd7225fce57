// A simulation for the external-reader tests: publishes "field", 6 x 8 f64 split by
// rows over the simulation ranks (with halos), element (i, j) of iteration k holding
// offset + k * 1000 + i * 8 + j, for --iterations iterations --sleep-us apart, the
// ranks coupled by a reduction per iteration like a solver's; or, with --stop-file,
// until that file exists (a test then knows the job runs while it checks, however slow
// the machine or the build).
// Rank 0 writes the job id external readers use to --job-file once started.
//
//   sluice-mpirun -np 2 tap_producer --job-file F [--offset X] [--iterations N] [--sleep-us N]
//                                     [--stop-file F]
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "sluice/channel/bridge.hpp"
#include "sluice/mpi/environment.hpp"

int main(int argc, char** argv) {
  std::string job_file;
  std::string stop_file;
  double offset = 0.0;
  long long iterations = 2000;
  long long sleep_us = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--job-file") job_file = argv[i + 1];
    if (arg == "--offset") offset = std::stod(argv[i + 1]);
    if (arg == "--iterations") iterations = std::stoll(argv[i + 1]);
    if (arg == "--sleep-us") sleep_us = std::stoll(argv[i + 1]);
    if (arg == "--stop-file") stop_file = argv[i + 1];
  }
  constexpr std::int64_t rows = 6;
  constexpr std::int64_t cols = 8;
  sluice::mpi::Environment mpi(argc, argv);
  sluice::Runtime rt(sluice::Role::simulation);
  {
    sluice::channel::Bridge bridge(rt);
    const std::int64_t mine = rows / rt.comm().size();
    const std::int64_t first = rt.comm().rank() * mine;
    auto& field = bridge.expose<double>(
        "field", {{rows, cols}, {first, 0}, {mine, cols}, {mine + 2, cols + 2}, {1, 1}});
    bridge.start();
    if (rt.comm().rank() == 0 && !job_file.empty()) {
      std::ofstream(job_file + ".partial") << bridge.job_id() << "\n";
      std::rename((job_file + ".partial").c_str(), job_file.c_str());
    }
    for (long long k = 0; k < iterations; ++k) {
      double* slot = field.slot<double>(k);
      for (std::int64_t i = 0; i < mine; ++i) {
        for (std::int64_t j = 0; j < cols; ++j) {
          slot[(i + 1) * (cols + 2) + j + 1] =
              offset + static_cast<double>(k * 1000 + (first + i) * cols + j);
        }
      }
      field.commit(k);
      // Coupled ranks, as a solver's residual or halo exchange keeps them: within an
      // iteration of each other, so the node's blocks share recent iterations. The
      // reduction also carries rank 0's stop, so that every rank ends after the same one.
      double residual_and_stop[2] = {
          1.0, rt.comm().rank() == 0 && !stop_file.empty() && std::filesystem::exists(stop_file)
                   ? 1.0
                   : 0.0};
      MPI_Allreduce(MPI_IN_PLACE, residual_and_stop, 2, MPI_DOUBLE, MPI_SUM, rt.comm().get());
      bridge.end_iteration(k);
      if (residual_and_stop[1] > 0.0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    }
    bridge.close();
  }
  rt.free();
  return 0;
}
