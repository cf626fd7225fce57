// sluice-scheduler: a member of the scheduler ring. Start as many as wanted next to
// the simulation and analytics programs:
//
//   mpirun -np 4 heat2d : -np 2 sluice-scheduler : -np 1 sluice-scheduler --spare : ...
//
// It serves the keys the ring gives it until the simulation closes its streams (or a
// Directory stops the schedulers), and runs the parts of stream graphs that clients
// place on it (graph::Executor). A job without a simulation is an error, reported by
// every process, unless --no-simulation says that Directory users alone run it and
// stop it. A spare holds no key until Directory::join makes it a member.
#include <cstdio>
#include <variant>
#include <vector>

#include "command_line.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/graph/executor.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/ring/scheduler.hpp"
#include "sluice/runtime/runtime.hpp"

namespace {

constexpr const char* exit_codes_help =
    "Exit codes:\n"
    "  0  stopped by a Directory, or the simulation closed its streams\n"
    "  1  an error: the job has no simulation (without --no-simulation), or one once\n"
    "     running (the message says what went wrong; the simulation goes on: this\n"
    "     process ends at once under mpirun --enable-recovery, else when the job ends)\n"
    "  2  usage: a bad command line";

struct Options {
  sluice::ring::SchedulerOptions scheduler;
  bool without_simulation = false;
};

// The command line, as CLI11 reads it, or the code to exit with (--help, a usage error).
// Runs before MPI is initialised.
std::variant<Options, int> parse_command_line(int argc, char** argv) {
  Options options;
  CLI::App app(
      "A member of sluice's scheduler ring, started in the job's mpirun command line.\n"
      "It owns the keys the consistent-hash ring maps to it and answers directory\n"
      "requests from any process until told to stop. SLUICE_LOG sets the log level.",
      "sluice-scheduler");
  sluice::cli::use_sluice_help_style(app);
  app.footer(exit_codes_help);
  app.add_flag("--spare", options.scheduler.spare,
               "start outside the ring, until a join makes this process a member");
  app.add_flag("--no-simulation", options.without_simulation,
               "run in a job without a simulation, for Directory users, until one of them "
               "stops the schedulers (otherwise a missing simulation is an error)");
  if (const auto code = sluice::cli::parse_command_line(app, argc, argv)) {
    return *code;
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = parse_command_line(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const Options options = std::get<Options>(parsed);
  sluice::mpi::Environment mpi(argc, argv);
  int status = 0;
  try {
    // Without a simulation nothing would ever stop this process but a Directory: a
    // scheduler started by mistake alone would run forever, silently.
    std::vector<sluice::Role> required = {sluice::Role::scheduler};
    if (!options.without_simulation) {
      required.push_back(sluice::Role::simulation);
    }
    sluice::Runtime runtime(sluice::Role::scheduler, {.required_roles = required});
    // With a simulation in the job, end the job's set-up with everybody, answer
    // queries about the streams this process owns, and stop when they are closed.
    sluice::channel::StreamCatalog streams(runtime);
    const bool has_simulation = runtime.has(sluice::Role::simulation);
    if (has_simulation) {
      runtime.finish_setup();
    }
    sluice::ring::Scheduler scheduler(runtime, options.scheduler);
    // Graph partitions and roots clients place here. They are installed during the
    // job's set-up too (this process takes the last step of the set-up without waiting
    // in it), so that a graph submitted before the simulation starts reads every
    // iteration from the first.
    sluice::graph::Executor graphs(runtime);
    if (has_simulation) {
      scheduler.serve_streams(streams);
      scheduler.also_serve([&] { return graphs.poll(); }, [&] { return graphs.is_busy(); });
    }
    scheduler.serve_until_stopped();
    sluice::log::info("scheduler stopped: ", scheduler.store().size(), " keys held, ",
                      scheduler.served(), " requests served, ", scheduler.forwarded(),
                      " forwarded, ", scheduler.rejected(), " refused, epoch ", scheduler.epoch());
    runtime.free();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "sluice-scheduler: %s\n", e.what());
    status = 1;  // the Runtime left the job as it unwound: the simulation goes on
  }
  return status;
}
