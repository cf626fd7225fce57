// sluice-tap: look at a running sluice job's streams from outside the job, on the
// same node, without disturbing it (sluice::shm::Tap).
//
//   sluice-tap list                                  # jobs and their streams
//   sluice-tap stats temperature                     # min / max / mean of the newest iteration
//   sluice-tap dump temperature t.npy --region 0:64,0:128
//   sluice-tap watch temperature --count 10          # a line per new iteration
//
// Exit codes per error kind: see exit_codes_help below (printed by --help).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "command_line.hpp"
#include "npy.hpp"
#include "region_text.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/reduce.hpp"
#include "sluice/shm/tap.hpp"

namespace {

using sluice::shm::Tap;
using sluice::shm::TapStatus;

enum Exit : int {
  done = 0,
  usage_error = sluice::cli::usage_exit_code,
  not_found = 3,
  timed_out = 4,
  producer_gone = 5,
  bad_region = 6,
  ended = 7,
  cannot_write = 8,
};

constexpr const char* exit_codes_help =
    "Exit codes:\n"
    "  0  done (watch: also when the stream ends after at least one line)\n"
    "  2  usage: a bad command line or a malformed region\n"
    "  3  no such job or stream (or several jobs and no --job)\n"
    "  4  timeout: no new iteration within --timeout-ms\n"
    "  5  a producer of the stream is gone (crashed or killed)\n"
    "  6  bad region: empty, outside the array or the wrong number of dimensions\n"
    "  7  the stream ended before anything came\n"
    "  8  dump: cannot write FILE.npy (the message says why; nothing is left behind)";

struct Options {
  std::string job;
  int timeout_ms = 5000;
  std::string region = "all";
  long long count = -1;  // watch: forever
  std::string command;
  std::string stream;
  std::string file;  // dump
};

// The command line, as CLI11 reads it, or the code to exit with (--help, a usage error).
std::variant<Options, int> parse_command_line(int argc, char** argv) {
  Options o;
  CLI::App app(
      "Reads a running sluice job's streams from outside it, on the same node.\n"
      "Each command has its own --help: sluice-tap dump --help.",
      "sluice-tap");
  sluice::cli::use_sluice_help_style(app);
  app.fallthrough();  // --job and --timeout-ms may also follow the command
  app.require_subcommand(1);
  app.footer(exit_codes_help);
  app.add_option("--job", o.job, "the job's id (see list); needed only when several jobs run")
      ->type_name("ID");
  app.add_option("--timeout-ms", o.timeout_ms, "bounds each wait for an iteration (ms, >= 1)")
      ->check(sluice::cli::at_least(1))
      ->type_name("N")
      ->capture_default_str();
  const char* region_help = "half-open ranges per dimension, like 0:128,16:32 (default all)";
  auto command = [&](const char* name, const char* description) {
    auto* sub = app.add_subcommand(name, description);
    sub->footer(exit_codes_help);
    sub->callback([&o, name] { o.command = name; });
    return sub;
  };
  command("list", "jobs on this node, their streams, shapes, newest iterations and rates");
  auto* stats = command("stats", "min, max, mean of the newest iteration");
  stats->add_option("STREAM", o.stream, "the stream")->required();
  stats->add_option("--region", o.region, region_help)->type_name("R");
  auto* dump = command("dump", "the newest iteration (or a region of it) as a .npy file");
  dump->add_option("STREAM", o.stream, "the stream")->required();
  dump->add_option("FILE.npy", o.file, "where to write it (numpy.load reads it)")->required();
  dump->add_option("--region", o.region, region_help)->type_name("R");
  auto* watch = command("watch", "a line of stats per new iteration");
  watch->add_option("STREAM", o.stream, "the stream")->required();
  watch->add_option("--count", o.count, "stop after N lines (default: until the stream ends)")
      ->check(sluice::cli::at_least(1))
      ->type_name("N");
  watch->add_option("--region", o.region, region_help)->type_name("R");
  if (const auto code = sluice::cli::parse_command_line(app, argc, argv)) {
    return *code;
  }
  return o;
}

struct Stats {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double mean = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t count = 0;
};

// min / max / mean of raw elements of `dtype` (floating point with sluice's vector
// kernels, which skip NaNs; integers directly).
Stats stats_of(sluice::Dtype dtype, const std::vector<std::byte>& data) {
  Stats s;
  auto floating = [&](auto type_tag) {
    using T = decltype(type_tag);
    const std::span<const T> values(reinterpret_cast<const T*>(data.data()),
                                    data.size() / sizeof(T));
    const auto summary = sluice::kernels::summary(values);
    s.min = summary.min;
    s.max = summary.max;
    s.mean = summary.mean();
    s.count = summary.count;
  };
  auto integer = [&](auto type_tag) {
    using T = decltype(type_tag);
    const std::size_t n = data.size() / sizeof(T);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
      s.min = std::min(s.min, static_cast<double>(v));
      s.max = std::max(s.max, static_cast<double>(v));
      sum += static_cast<double>(v);
    }
    s.count = n;
    s.mean = n == 0 ? s.mean : sum / static_cast<double>(n);
  };
  switch (dtype) {
    case sluice::Dtype::f64:
      floating(double{});
      break;
    case sluice::Dtype::f32:
      floating(float{});
      break;
    case sluice::Dtype::i32:
      integer(std::int32_t{});
      break;
    case sluice::Dtype::i64:
      integer(std::int64_t{});
      break;
    case sluice::Dtype::u8:
      integer(std::uint8_t{});
      break;
  }
  return s;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    text += (d ? ", " : "") + std::to_string(shape[d]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

int exit_for(TapStatus status, const std::string& stream) {
  switch (status) {
    case TapStatus::ok:
      return done;
    case TapStatus::timeout:
      std::fprintf(stderr, "sluice-tap: nothing new on '%s' in time\n", stream.c_str());
      return timed_out;
    case TapStatus::end_of_stream:
      std::fprintf(stderr, "sluice-tap: stream '%s' has ended\n", stream.c_str());
      return ended;
    case TapStatus::producer_gone:
      std::fprintf(stderr, "sluice-tap: a producer of '%s' is gone (crashed or killed)\n",
                   stream.c_str());
      return producer_gone;
  }
  return timed_out;
}

int list_jobs() {
  const auto jobs = sluice::shm::list_jobs();
  if (jobs.empty()) {
    std::printf("no sluice job on this node\n");
  }
  for (const auto& job : jobs) {
    char started[32] = "?";
    const std::time_t when = job.started_unix;
    std::strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S", std::localtime(&when));
    std::printf("job %s  pid %lld  started %s  %s\n", job.id.c_str(),
                static_cast<long long>(job.pid), started,
                job.finished ? "finished" : (job.alive ? "running" : "gone (stale)"));
    for (const auto& name : job.streams) {
      if (!job.alive || job.finished) {
        std::printf("  %s\n", name.c_str());
        continue;
      }
      try {
        Tap tap(job.id, name);
        // The producers copy only while someone looks: give them a moment to start,
        // and to copy twice, which gives the rate.
        const auto first = tap.wait_next(-1, std::chrono::milliseconds(200));
        (void)tap.wait_next(first.iteration, std::chrono::milliseconds(200));
        const auto& info = tap.info();
        std::printf("  %-20s %s %-14s newest %lld, %.1f iterations/s, %zu block(s) here\n",
                    name.c_str(), std::string(sluice::dtype_name(info.dtype)).c_str(),
                    shape_text(info.shape).c_str(), static_cast<long long>(tap.newest_iteration()),
                    tap.rate_hz(), info.blocks.size());
      } catch (const sluice::Error& e) {
        std::printf("  %-20s (%s)\n", name.c_str(), e.what());
      }
    }
  }
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_command_line(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const Options& o = std::get<Options>(parsed);
  const std::string& command = o.command;
  if (command == "list") {
    return list_jobs();
  }
  sluice::Box region;
  try {
    region = sluice::cli::parse_region(o.region);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "sluice-tap: %s\n", e.what());
    return usage_error;
  }
  const std::string& stream = o.stream;
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  try {
    Tap tap(o.job, stream);
    const auto& info = tap.info();
    const std::vector<std::int64_t> shape = region.resolved(info.shape).count;
    const std::int64_t elements = sluice::product(shape);
    if (elements <= 0) {
      std::fprintf(stderr, "sluice-tap: region %s is empty\n", o.region.c_str());
      return bad_region;
    }
    std::vector<std::byte> data(static_cast<std::size_t>(elements) *
                                sluice::dtype_size(info.dtype));
    auto read = [&]() { return tap.read_latest(region, data.data(), data.size(), timeout); };
    if (command == "dump" || command == "stats") {
      const auto got = read();
      if (got.status != TapStatus::ok) {
        return exit_for(got.status, stream);
      }
      if (command == "dump") {
        try {
          sluice::npy::write(o.file, info.dtype, shape, data.data(), data.size());
        } catch (const sluice::Error& e) {
          std::fprintf(stderr, "sluice-tap: %s\n", e.what());
          return cannot_write;
        }
        std::printf("iteration %lld of %s %s -> %s\n", static_cast<long long>(got.iteration),
                    stream.c_str(), shape_text(shape).c_str(), o.file.c_str());
      } else {
        const Stats s = stats_of(info.dtype, data);
        std::printf("iteration %lld  min %.17g  max %.17g  mean %.17g  (%llu values)\n",
                    static_cast<long long>(got.iteration), s.min, s.max, s.mean,
                    static_cast<unsigned long long>(s.count));
      }
      return done;
    }
    // watch: a line per new iteration, until --count lines, the end or the timeout.
    std::int64_t last = -1;
    for (long long lines = 0; o.count < 0 || lines < o.count; ++lines) {
      const auto next = tap.wait_next(last, timeout);
      if (next.status != TapStatus::ok) {
        const int code = exit_for(next.status, stream);
        return code == ended && lines > 0 ? done : code;
      }
      const auto got = read();
      if (got.status != TapStatus::ok) {
        return exit_for(got.status, stream);
      }
      const Stats s = stats_of(info.dtype, data);
      std::printf("iteration %lld  min %.17g  max %.17g  mean %.17g\n",
                  static_cast<long long>(got.iteration), s.min, s.max, s.mean);
      std::fflush(stdout);
      last = got.iteration;
    }
    return done;
  } catch (const sluice::NotFound& e) {
    std::fprintf(stderr, "sluice-tap: %s\n", e.what());
    return not_found;
  } catch (const sluice::InvalidArgument& e) {
    std::fprintf(stderr, "sluice-tap: %s\n", e.what());
    return bad_region;
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "sluice-tap: %s\n", e.what());
    return usage_error;
  }
}
