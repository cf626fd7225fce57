// sluice-scheduler: a member of the scheduler ring. Start as many as wanted next to
// the simulation and analytics programs:
//
//   mpirun -np 4 heat2d : -np 2 sluice-scheduler : -np 1 sluice-scheduler --spare : ...
//
// It serves the keys the ring gives it until a Directory stops the schedulers, or, in
// a job with a simulation, until the simulation closes its streams. A spare holds no
// key until Directory::join makes it a member.
#include <cstdio>
#include <cstring>
#include <optional>

#include "sluice/channel/consumer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/ring/scheduler.hpp"
#include "sluice/runtime/runtime.hpp"

int main(int argc, char** argv) {
  sluice::ring::SchedulerOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf(
          "usage: sluice-scheduler [--spare]\n"
          "A member of sluice's scheduler ring, started in the job's mpirun command line.\n"
          "It owns the keys the consistent-hash ring maps to it and answers directory\n"
          "requests from any process until told to stop. SLUICE_LOG sets the log level.\n"
          "  --spare   start outside the ring, until a join makes this process a member\n");
      return 0;
    }
    if (std::strcmp(argv[i], "--spare") == 0) {
      options.spare = true;
    } else {
      std::fprintf(stderr, "sluice-scheduler: unknown option '%s' (see --help)\n", argv[i]);
      return 2;
    }
  }
  sluice::mpi::Environment mpi(argc, argv);
  try {
    sluice::Runtime runtime(sluice::Role::scheduler, {.required_roles = {sluice::Role::scheduler}});
    // With a simulation in the job, take part in its set-up (windows are collective
    // over the job), answer queries about the streams this process owns, and stop
    // when the simulation closes them.
    std::optional<sluice::channel::Consumer> consumer;
    if (!runtime.ranks_of(sluice::Role::simulation).empty()) {
      consumer.emplace(runtime);
      consumer->start();
    }
    sluice::ring::Scheduler scheduler(runtime, options);
    if (consumer) {
      scheduler.serve_streams(*consumer);
    }
    scheduler.serve_until_stopped();
    sluice::log::info("scheduler stopped: ", scheduler.store().size(), " keys held, ",
                      scheduler.served(), " requests served, ", scheduler.forwarded(),
                      " forwarded, ", scheduler.rejected(), " refused, epoch ", scheduler.epoch());
    if (consumer) {
      consumer->close();
    }
    runtime.free();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "sluice-scheduler: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 0;
}
