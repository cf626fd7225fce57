// The main() of every MPI test executable: see mpi_test.hpp.
#include <mpi.h>

#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "mpi_test.hpp"
#include "sluice/mpi/environment.hpp"

namespace sluice::testing {
namespace {

std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

std::string& declared_role() {
  static std::string role;
  return role;
}

// Checks may run on service threads (a progress thread, a steering server's worker)
// while the test body runs on the main one: the count and the report lines are
// guarded so that every failure is counted and printed whole, with its own file and
// line. The rank is read once, on the main thread: MPI may be initialised without
// thread support, so record_failure makes no MPI call.
std::mutex failures_mutex;
int current_failures = 0;  // guarded by failures_mutex
int world_rank = -1;       // written before any test runs

}  // namespace

bool register_test(std::string name, std::function<void()> body) {
  registry().push_back({std::move(name), std::move(body)});
  return true;
}

void record_failure(const char* file, int line, const std::string& what) {
  const std::lock_guard<std::mutex> lock(failures_mutex);
  ++current_failures;
  std::fprintf(stderr, "  rank %d: %s:%d: %s\n", world_rank, file, line, what.c_str());
}

std::string_view role() { return declared_role(); }

int failures_in_current_test() {
  const std::lock_guard<std::mutex> lock(failures_mutex);
  return current_failures;
}

}  // namespace sluice::testing

int main(int argc, char** argv) {
  using namespace sluice::testing;
  std::string filter;
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string option = argv[i];
    if (option == "--role") {
      declared_role() = argv[++i];
    } else if (option == "--filter") {
      filter = argv[++i];
    }
  }

  sluice::mpi::Environment mpi(argc, argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  world_rank = rank;

  int passed = 0;
  int failed = 0;
  for (const auto& test : registry()) {
    if (!filter.empty() && test.name.find(filter) == std::string::npos) {
      continue;
    }
    {
      const std::lock_guard<std::mutex> lock(failures_mutex);
      current_failures = 0;
    }
    try {
      test.body();
    } catch (const std::exception& e) {
      record_failure(__FILE__, __LINE__, std::string("unexpected exception: ") + e.what());
    }
    int failing_ranks = 0;
    const int mine = failures_in_current_test() > 0 ? 1 : 0;
    MPI_Allreduce(&mine, &failing_ranks, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (failing_ranks == 0) {
      ++passed;
    } else {
      ++failed;
    }
    if (rank == 0) {
      std::printf(
          "[%s] %s (%d ranks)%s\n", failing_ranks == 0 ? "PASS" : "FAIL", test.name.c_str(), size,
          failing_ranks == 0 ? "" : (" on " + std::to_string(failing_ranks) + " rank(s)").c_str());
      std::fflush(stdout);
    }
  }
  if (rank == 0) {
    std::printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d\n", passed + failed,
                passed, failed);
  }
  if (passed + failed == 0) {
    if (rank == 0) {
      std::fprintf(stderr, "no test matched filter '%s'\n", filter.c_str());
    }
    return 1;
  }
  return failed == 0 ? 0 : 1;
}
