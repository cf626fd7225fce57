// heat2d-analytics: subscribes to heat2d's whole temperature field and writes, for
// every published iteration, mean / min / max, the mean time derivative since the
// previous published iteration and a 16-bin histogram over [0, 100], as CSV
// (DESIGN.md §7). Statistics use the vectorised kernels.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "sluice/channel/consumer.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/reduce.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace {

constexpr std::size_t bins = 16;

std::string parse_out(int argc, char** argv) {
  std::string out = "-";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: heat2d-analytics [--out FILE]\n"
          "  --out FILE  where to write the CSV (default '-', standard output)\n"
          "Columns: iteration,mean,min,max,dTdt_mean,hist0..hist15 (bins of width 6.25 over\n"
          "[0, 100], the last closed on both sides). Run in one MPMD job with heat2d.\n");
      std::exit(0);
    }
    if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else {
      std::fprintf(stderr, "heat2d-analytics: unknown or incomplete option %s (see --help)\n",
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
    std::fprintf(stderr, "heat2d-analytics: cannot write %s\n", out_path.c_str());
    return 2;
  }
  sluice::mpi::Environment mpi(argc, argv);
  using sluice::channel::StepStatus;
  try {
    sluice::Runtime runtime(sluice::Role::analytics,
                            {.required_roles = {sluice::Role::simulation}});
    sluice::channel::Consumer consumer(runtime);
    auto& temperature = consumer.subscribe<double>("temperature");
    auto& time = consumer.subscribe<double>("time");

    std::fprintf(out, "iteration,mean,min,max,dTdt_mean");
    for (std::size_t b = 0; b < bins; ++b) {
      std::fprintf(out, ",hist%zu", b);
    }
    std::fprintf(out, "\n");

    std::vector<double> previous;
    double previous_time = 0.0;
    std::vector<std::uint64_t> counts(bins);
    const sluice::kernels::HistogramSpec spec{0.0, 100.0, bins};
    std::int64_t rows = 0;
    const auto started = std::chrono::steady_clock::now();
    for (;;) {
      auto field = temperature.next(std::chrono::minutes(10));
      if (field.status() == StepStatus::end_of_stream) {
        break;
      }
      if (!field.ok()) {
        throw sluice::Error(
            "reading the temperature stream",
            field.status() == StepStatus::error ? field.error() : "no iteration within 10 minutes");
      }
      auto now = time.next(std::chrono::minutes(10));
      if (!now.ok() || now.iteration() != field.iteration()) {
        throw sluice::Error("reading the time stream",
                            "it does not match iteration " + std::to_string(field.iteration()));
      }
      const auto t = field.data<double>();
      const double t_now = now.data<double>()[0];
      const auto summary = sluice::kernels::summary(t);
      double dtdt = std::nan("");
      if (!previous.empty()) {
        double sum = 0.0;
        const double elapsed = t_now - previous_time;
        for (std::size_t i = 0; i < t.size(); ++i) {
          sum += (t[i] - previous[i]) / elapsed;
        }
        dtdt = sum / static_cast<double>(t.size());
      }
      std::fill(counts.begin(), counts.end(), 0);
      sluice::kernels::histogram(t, spec, counts);
      std::fprintf(out, "%lld,%.17g,%.17g,%.17g,%.17g", static_cast<long long>(field.iteration()),
                   summary.mean(), summary.min, summary.max, dtdt);
      for (auto c : counts) {
        std::fprintf(out, ",%llu", static_cast<unsigned long long>(c));
      }
      std::fprintf(out, "\n");
      previous.assign(t.begin(), t.end());
      previous_time = t_now;
      ++rows;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto c = temperature.counters();
    std::fprintf(stderr,
                 "heat2d-analytics: %lld iterations analysed, %.1f MiB pulled in %.3f s, "
                 "%llu torn reads\n",
                 static_cast<long long>(rows), static_cast<double>(c.bytes_pulled) / (1 << 20),
                 seconds, static_cast<unsigned long long>(c.torn_reads));
    consumer.close();
    runtime.free();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "heat2d-analytics: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (out != stdout) {
    std::fclose(out);
  }
  return 0;
}
