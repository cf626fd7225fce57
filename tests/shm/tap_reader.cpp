// An external reader for the tests: a plain process (not in the MPI job) that taps
// "field" of a tap_producer job with sluice::shm::Tap and checks every read: one
// iteration throughout (offset + k * 1000 + i * 8 + j), iterations never going back.
// It reads until the stream ends or its producer is gone, and prints one line:
//   reads N first K last K status STATUS wrong W
// Exit code 0 if every read was whole and N >= --min-reads, 1 otherwise.
//
//   tap_reader --job ID [--offset X] [--min-reads N] [--region S:E,S:E]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sluice/core/error.hpp"
#include "sluice/shm/tap.hpp"

int main(int argc, char** argv) {
  std::string job;
  double offset = 0.0;
  long long min_reads = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--job") job = argv[i + 1];
    if (arg == "--offset") offset = std::stod(argv[i + 1]);
    if (arg == "--min-reads") min_reads = std::stoll(argv[i + 1]);
  }
  constexpr std::int64_t cols = 8;
  try {
    sluice::shm::Tap tap(job, "field");
    const auto& info = tap.info();
    std::vector<double> field(static_cast<std::size_t>(info.elements()));
    long long reads = 0;
    long long wrong = 0;
    std::int64_t first = -1;
    std::int64_t last = -1;
    sluice::shm::TapStatus status = sluice::shm::TapStatus::ok;
    for (;;) {
      const auto next = tap.wait_next(last, std::chrono::seconds(10));
      if (next.status != sluice::shm::TapStatus::ok) {
        status = next.status;
        break;
      }
      const auto got = tap.read_latest({}, field.data(), field.size() * sizeof(double),
                                       std::chrono::seconds(10));
      if (got.status != sluice::shm::TapStatus::ok) {
        status = got.status;
        break;
      }
      wrong += got.iteration < last ? 1 : 0;  // never backwards
      for (std::size_t e = 0; e < field.size(); ++e) {
        wrong += field[e] != offset + static_cast<double>(got.iteration * 1000) +
                                 static_cast<double>(e / cols * cols + e % cols);
      }
      first = first < 0 ? got.iteration : first;
      last = got.iteration;
      ++reads;
    }
    std::printf("reads %lld first %lld last %lld status %s wrong %lld\n", reads,
                static_cast<long long>(first), static_cast<long long>(last),
                std::string(sluice::shm::tap_status_name(status)).c_str(), wrong);
    return wrong == 0 && reads >= min_reads ? 0 : 1;
  } catch (const sluice::Error& e) {
    std::printf("error %s\n", e.what());
    return 1;
  }
}
