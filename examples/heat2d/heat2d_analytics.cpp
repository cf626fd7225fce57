// heat2d-analytics: heat2d's analytics (DESIGN.md §7) as a stream graph. For every
// published iteration: mean / min / max of the temperature, the mean time derivative
// since the previous published iteration and a 16-bin histogram over [0, 100], as CSV.
//
// The graph is described once, compiled against the job's streams, instantiated once
// and triggered per iteration: one fused pass over each block of the field, read in
// place where it lies. In a job with sluice-scheduler processes the graph runs on the
// scheduler ring (each scheduler reads the blocks of its node; callbacks come back
// here), otherwise in this process. heat2d-analytics-direct computes the same by hand on
// plain subscriptions. With several analytics ranks, the first submits the graph and
// the others only join the job's set-up. Where steering narrows the exposed region, the
// statistics cover the exposed cells and dT/dt the cells both iterations expose.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "sluice/channel/consumer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace {

constexpr int bins = 16;

struct Options {
  std::string out = "-";
  bool rebuild = false;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: heat2d-analytics [--out FILE] [--rebuild]\n"
          "  --out FILE  where to write the CSV (default '-', standard output); written row by\n"
          "              row once the job has started\n"
          "  --rebuild   compile and instantiate the graph again every iteration (to compare)\n"
          "Columns: iteration,mean,min,max,dTdt_mean,hist0..hist15 (bins of width 6.25 over\n"
          "[0, 100], the last closed on both sides). Run in one MPMD job with heat2d.\n");
      std::exit(0);
    }
    if (arg == "--out" && i + 1 < argc) {
      options.out = argv[++i];
    } else if (arg == "--rebuild") {
      options.rebuild = true;
    } else {
      std::fprintf(stderr, "heat2d-analytics: unknown or incomplete option %s (see --help)\n",
                   arg.c_str());
      std::exit(2);
    }
  }
  return options;
}

// One CSV row per iteration, written whole: a job that ends early leaves complete rows.
void write_row(std::FILE* out, std::int64_t iteration, std::span<const sluice::graph::Value> v) {
  std::fprintf(out, "%lld,%.17g,%.17g,%.17g,%.17g", static_cast<long long>(iteration),
               v[0].scalar(), v[1].scalar(), v[2].scalar(), v[3].scalar());
  for (double count : v[4].data) {
    std::fprintf(out, ",%.0f", count);
  }
  std::fprintf(out, "\n");
  std::fflush(out);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  sluice::mpi::Environment mpi(argc, argv);
  std::FILE* out = nullptr;
  int exit_status = 0;
  try {
    sluice::Runtime runtime(sluice::Role::analytics,
                            {.required_roles = {sluice::Role::simulation}});
    try {
      sluice::channel::Consumer consumer(runtime);
      if (runtime.comm().rank() == 0) {
        out = options.out == "-" ? stdout : std::fopen(options.out.c_str(), "w");
        if (out == nullptr) {
          throw sluice::Error("writing the CSV to " + options.out, std::strerror(errno),
                              "give a path in a directory that exists and can be written");
        }
        sluice::graph::Client client(runtime, consumer);

        sluice::graph::Graph g("heat2d");
        auto T = g.stream("temperature");
        auto t = g.value("time");
        auto stats = summary(T);
        auto dTdt = mean(T - T.previous()) / (t - t.previous());  // NaN at the first iteration
        auto hist = histogram(T, 0.0, 100.0, bins);
        g.on({stats.mean, stats.min, stats.max, dTdt, hist},
             [out](std::int64_t k, std::span<const sluice::graph::Value> v) {
               write_row(out, k, v);
             });

        std::fprintf(out, "iteration,mean,min,max,dTdt_mean");
        for (int b = 0; b < bins; ++b) {
          std::fprintf(out, ",hist%d", b);
        }
        std::fprintf(out, "\n");
        const auto id = client.submit(g, {.mode = options.rebuild ? sluice::graph::Mode::rebuilt
                                                                  : sluice::graph::Mode::compiled});
        client.run();
        const auto status = client.status(id);
        std::string where = "in this process";
        if (client.runs_on_ring(id)) {
          where = "on the scheduler ring, partitions on world ranks";
          for (const auto& p : status.partitions) {
            where += " " + std::to_string(p.world_rank);
          }
        }
        std::fprintf(
            stderr,
            "heat2d-analytics: graph '%s' ran %s: %llu iterations (%llu failed, %llu "
            "skipped), %.1f us per iteration (median; min %.1f, max %.1f), %.1f us from the "
            "simulation's commit to the outputs (median; max %.1f), %llu tasks per "
            "iteration, compiled %llu time(s), %.1f MiB pulled with MPI_Get\n",
            status.name.c_str(), where.c_str(), static_cast<unsigned long long>(status.iterations),
            static_cast<unsigned long long>(status.failed_iterations),
            static_cast<unsigned long long>(status.skipped_iterations),
            status.iteration_time.median_us, status.iteration_time.min_us,
            status.iteration_time.max_us, status.latency.median_us, status.latency.max_us,
            static_cast<unsigned long long>(status.tasks_per_iteration),
            static_cast<unsigned long long>(status.compilations),
            static_cast<double>(status.bytes_pulled) / (1 << 20));
        if (!status.stopped_early.empty()) {
          // The CSV stops there: say so, and fail.
          std::fprintf(stderr, "heat2d-analytics: graph '%s' ended before the simulation: %s\n",
                       status.name.c_str(), status.stopped_early.c_str());
          exit_status = 1;
        }
      } else {
        consumer.start();
      }
      consumer.close();
    } catch (const sluice::Error& e) {
      std::fprintf(stderr, "heat2d-analytics: %s\n", e.what());
      runtime.leave_on_error();  // the simulation goes on without this process
      exit_status = 1;
    }
    runtime.free();
  } catch (const sluice::Error& e) {  // the job did not start: every process says why
    std::fprintf(stderr, "heat2d-analytics: %s\n", e.what());
    exit_status = 1;
  }
  if (out != nullptr && out != stdout) {
    std::fclose(out);
  }
  return exit_status;
}
