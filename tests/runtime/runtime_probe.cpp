// A tiny sluice program whose job layout the error-path tests choose on the mpirun
// command line (test_runtime_errors.cpp). It constructs a Runtime and reports:
//   exit 0 and "OK <role> <world rank>/<world size>" when the job is valid,
//   exit 3 and "RoleError: <message>" on stderr when it is not.
// Options: --role NAME, --require ROLE (repeatable), --join-timeout-ms N,
//          --skip-runtime SECONDS (initialise MPI but never construct a Runtime).
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "sluice/core/error.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

int main(int argc, char** argv) {
  std::string role;
  sluice::RuntimeOptions options;
  int skip_seconds = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    const std::string value = argv[i + 1];
    if (option == "--role") {
      role = value;
    } else if (option == "--require") {
      options.required_roles.push_back(sluice::parse_role(value).value());
    } else if (option == "--join-timeout-ms") {
      options.join_timeout = std::chrono::milliseconds(std::stoi(value));
    } else if (option == "--skip-runtime") {
      skip_seconds = std::stoi(value);
    }
  }
  sluice::mpi::Environment mpi(argc, argv);
  if (skip_seconds >= 0) {
    std::this_thread::sleep_for(std::chrono::seconds(skip_seconds));
    std::printf("the idle process slept to the end\n");
    return 0;
  }
  try {
    sluice::Runtime runtime(role, options);
    std::printf("OK %s %d/%d\n", std::string(sluice::role_name(runtime.role())).c_str(),
                runtime.world_rank(), runtime.world_size());
  } catch (const sluice::RoleError& e) {
    std::fprintf(stderr, "RoleError: %s\n", e.what());
    std::fflush(stderr);
    if (std::string(e.what()).find("within") != std::string::npos) {
      // A process never joined: a collective is still pending, MPI cannot finalise.
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
    return 3;
  }
  return 0;
}
