// heat2d-analytics-direct: the analytics of heat2d written by hand on plain
// subscriptions, without a graph (heat2d-analytics is the same through a stream graph).
// Reads heat2d's temperature field and writes, for every published iteration, mean /
// min / max, the mean time derivative since the previous published iteration and a
// 16-bin histogram over [0, 100], as CSV (DESIGN.md §7). Statistics use the vectorised
// kernels, one fused pass per block, reading steps in place where they are
// (band_statistics.hpp). Run on several ranks, each reads a band of rows and rank 0
// writes the combined results.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "band_statistics.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/step_group.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace {

using heat2d::bins;

sluice::Extents stream_shape(const sluice::channel::Consumer& consumer, std::string_view name) {
  for (const auto& stream : consumer.streams()) {
    if (stream.name == name) {
      return stream.global_shape;
    }
  }
  throw sluice::NotFound("finding stream '" + std::string(name) + "'",
                         "the simulation did not expose it", "is the simulation heat2d?");
}

std::string parse_out(int argc, char** argv) {
  std::string out = "-";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: heat2d-analytics-direct [--out FILE]\n"
          "  --out FILE  where to write the CSV (default '-', standard output)\n"
          "Columns: iteration,mean,min,max,dTdt_mean,hist0..hist15 (bins of width 6.25 over\n"
          "[0, 100], the last closed on both sides). Run in one MPMD job with heat2d.\n");
      std::exit(0);
    }
    if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else {
      std::fprintf(stderr,
                   "heat2d-analytics-direct: unknown or incomplete option %s (see --help)\n",
                   arg.c_str());
      std::exit(2);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string out_path = parse_out(argc, argv);
  std::FILE* out = out_path == "-" ? stdout : std::fopen(out_path.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "heat2d-analytics-direct: cannot write %s\n", out_path.c_str());
    return 2;
  }
  sluice::mpi::Environment mpi(argc, argv);
  using sluice::channel::StepStatus;
  int exit_status = 0;
  try {
    sluice::Runtime runtime(sluice::Role::analytics,
                            {.required_roles = {sluice::Role::simulation}});
    try {
      sluice::channel::Consumer consumer(runtime);
      // Each analytics rank reads a band of rows (a selection crossing the simulation's
      // blocks) and the ranks combine their partial results: more analytics ranks, less
      // work each.
      const auto& comm = runtime.comm();
      const int ranks = comm.size();
      const int me = comm.rank();
      const auto shape = stream_shape(consumer, "temperature");
      const std::int64_t first_row = shape[0] * me / ranks;
      const std::int64_t band_rows = shape[0] * (me + 1) / ranks - first_row;
      // A rank without rows (more analytics ranks than rows) still reads one row, which
      // it leaves out: every rank then sees the same iterations of both streams.
      auto& temperature = consumer.subscribe<double>(
          "temperature", sluice::Selection{{std::min(first_row, shape[0] - 1), 0},
                                           {std::max<std::int64_t>(band_rows, 1), shape[1]},
                                           {}});
      auto& time = consumer.subscribe_value<double>("time");
      // Time and temperature of the same iteration, together; iterations steering
      // withholds from either are skipped by both (never waited for).
      sluice::channel::StepGroup steps({&time, &temperature});

      if (me == 0) {
        std::fprintf(out, "iteration,mean,min,max,dTdt_mean");
        for (std::size_t b = 0; b < bins; ++b) {
          std::fprintf(out, ",hist%zu", b);
        }
        std::fprintf(out, "\n");
      }

      heat2d::PreviousBand previous;
      double previous_time = 0.0;
      bool is_first = true;
      bool has_previous = false;
      std::int64_t rows = 0;
      const auto started = std::chrono::steady_clock::now();
      for (;;) {
        auto now = steps.next(std::chrono::minutes(10));
        if (now.status() == StepStatus::end_of_stream) {
          break;
        }
        if (!now.ok()) {
          throw sluice::Error(
              "reading time and temperature",
              now.status() == StepStatus::error ? now.error() : "no iteration within 10 minutes");
        }
        const double t_now = now[0].value<double>();
        heat2d::Partial partial;
        if (band_rows > 0) {
          partial = heat2d::band_statistics(now[1], previous, t_now - previous_time, has_previous);
        }
        // dT/dt only where every rank compared the same cells as before (a rank without
        // a band has nothing to compare).
        int comparable = (band_rows == 0 ? !is_first : has_previous) ? 1 : 0;
        MPI_Allreduce(MPI_IN_PLACE, &comparable, 1, MPI_INT, MPI_MIN, comm.get());
        const heat2d::Partial total = partial.reduce(comm);
        if (me == 0) {
          const double cells = static_cast<double>(total.count);
          const double dtdt = comparable == 0 ? std::nan("") : total.dtdt_sum / cells;
          std::fprintf(out, "%lld,%.17g,%.17g,%.17g,%.17g", static_cast<long long>(now.iteration()),
                       total.sum / cells, total.min, total.max, dtdt);
          for (auto c : total.counts) {
            std::fprintf(out, ",%llu", static_cast<unsigned long long>(c));
          }
          std::fprintf(out, "\n");
        }
        previous_time = t_now;
        is_first = false;
        ++rows;
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const auto c =
          band_rows > 0 ? temperature.counters() : sluice::channel::SubscriptionCounters{};
      std::uint64_t pulled[3] = {c.bytes_pulled, c.torn_reads, c.read_in_place};
      std::uint64_t pulled_total[3] = {0, 0, 0};
      MPI_Reduce(pulled, pulled_total, 3, MPI_UINT64_T, MPI_SUM, 0, comm.get());
      if (me == 0) {
        std::fprintf(
            stderr,
            "heat2d-analytics-direct: %lld iterations analysed on %d rank(s) in %.3f s: %.1f MiB "
            "pulled with MPI_Get, %llu steps read in place, %llu torn reads\n",
            static_cast<long long>(rows), ranks, seconds,
            static_cast<double>(pulled_total[0]) / (1 << 20),
            static_cast<unsigned long long>(pulled_total[2]),
            static_cast<unsigned long long>(pulled_total[1]));
      }
      consumer.close();
    } catch (const sluice::Error& e) {
      std::fprintf(stderr, "heat2d-analytics-direct: %s\n", e.what());
      runtime.leave_on_error();  // the simulation goes on without this process
      exit_status = 1;
    }
    runtime.free();
  } catch (const sluice::Error& e) {  // the job did not start: every process says why
    std::fprintf(stderr, "heat2d-analytics-direct: %s\n", e.what());
    exit_status = 1;
  }
  if (out != stdout) {
    std::fclose(out);
  }
  return exit_status;
}
