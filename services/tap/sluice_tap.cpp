// sluice-tap: look at a running sluice job's streams from outside the job, on the
// same node, without disturbing it (sluice::shm::Tap).
//
//   sluice-tap list                                  # jobs and their streams
//   sluice-tap stats temperature                     # min / max / mean of the newest iteration
//   sluice-tap dump temperature t.npy --region 0:64,0:128
//   sluice-tap watch temperature --count 10          # a line per new iteration
//
// Exit codes: 0 done, 2 usage, 3 no such job or stream, 4 timeout, 5 the producer is
// gone (crashed or killed), 6 bad region, 7 the stream ended before anything came.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

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
  usage_error = 2,
  not_found = 3,
  timed_out = 4,
  producer_gone = 5,
  bad_region = 6,
  ended = 7,
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: sluice-tap [--job ID] [--timeout-ms N] COMMAND\n"
               "Reads a running sluice job's streams from outside it, on the same node.\n"
               "commands:\n"
               "  list                          jobs on this node, their streams, shapes,\n"
               "                                newest iterations and rates\n"
               "  stats STREAM [--region R]     min, max, mean of the newest iteration\n"
               "  dump STREAM FILE.npy [--region R]\n"
               "                                the newest iteration (or a region) as .npy\n"
               "  watch STREAM [--count N] [--region R]\n"
               "                                a line of stats per new iteration\n"
               "R is half-open ranges per dimension, like 0:128,16:32. --job is needed only\n"
               "when several jobs run on the node. --timeout-ms (default 5000) bounds each\n"
               "wait for an iteration. Exit codes: 0 done, 2 usage, 3 no such job or stream,\n"
               "4 timeout, 5 producer gone, 6 bad region, 7 the stream ended.\n");
}

struct Options {
  std::string job;
  int timeout_ms = 5000;
  std::string region = "all";
  long long count = -1;  // watch: forever
  std::vector<std::string> words;
};

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
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    try {
      if (arg == "-h" || arg == "--help") {
        usage(stdout);
        return done;
      } else if (arg == "--job" && has_value) {
        o.job = argv[++i];
      } else if (arg == "--timeout-ms" && has_value) {
        o.timeout_ms = std::stoi(argv[++i]);
      } else if (arg == "--region" && has_value) {
        o.region = argv[++i];
      } else if (arg == "--count" && has_value) {
        o.count = std::stoll(argv[++i]);
      } else if (arg.starts_with("--")) {
        std::fprintf(stderr, "sluice-tap: unknown option %s (see --help)\n", arg.c_str());
        return usage_error;
      } else {
        o.words.push_back(arg);
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "sluice-tap: %s takes a number, not '%s'\n", arg.c_str(), argv[i]);
      return usage_error;
    }
  }
  const std::string command = o.words.empty() ? "" : o.words[0];
  const std::size_t words = o.words.size();
  if (!((command == "list" && words == 1) || (command == "stats" && words == 2) ||
        (command == "dump" && words == 3) || (command == "watch" && words == 2)) ||
      o.timeout_ms <= 0) {
    std::fprintf(stderr, "sluice-tap: bad command line\n");
    usage(stderr);
    return usage_error;
  }
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
  const std::string& stream = o.words[1];
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
        sluice::npy::write(o.words[2], info.dtype, shape, data.data(), data.size());
        std::printf("iteration %lld of %s %s -> %s\n", static_cast<long long>(got.iteration),
                    stream.c_str(), shape_text(shape).c_str(), o.words[2].c_str());
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
