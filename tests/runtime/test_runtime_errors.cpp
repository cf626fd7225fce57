// A bad job layout is a clear error on every process, never a hang. Each test
// launches a small MPMD job of runtime_probe under mpirun (Criterion forks each test
// into its own process, which is why the MPI job must be a child, not this process).
#include <criterion/criterion.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct JobResult {
  int exit_code;
  std::string output;  // stdout and stderr of every process
  double seconds;
};

JobResult run_job(const std::string& layout) {
  const char* mpirun = std::getenv("SLUICE_TEST_MPIRUN");
  const char* probe = std::getenv("SLUICE_TEST_RUNTIME_PROBE");
  cr_assert_not_null(mpirun, "SLUICE_TEST_MPIRUN is not set (run through meson test)");
  cr_assert_not_null(probe, "SLUICE_TEST_RUNTIME_PROBE is not set (run through meson test)");
  std::string command = "timeout 60 " + std::string(mpirun);
  // Substitute the probe's path for every "PROBE" in the layout.
  std::string expanded = layout;
  for (std::size_t at = expanded.find("PROBE"); at != std::string::npos;
       at = expanded.find("PROBE", at)) {
    expanded.replace(at, 5, probe);
  }
  command += " " + expanded + " 2>&1";
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = popen(command.c_str(), "r");
  cr_assert_not_null(pipe);
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    output += buffer.data();
  }
  const int status = pclose(pipe);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output, seconds};
}

int occurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace

Test(runtime_errors, valid_mpmd_job_starts_everywhere, .timeout = 90) {
  const auto job = run_job("-np 2 PROBE --role simulation : -np 1 PROBE --role analytics");
  cr_assert_eq(job.exit_code, 0, "%s", job.output.c_str());
  cr_assert_eq(occurrences(job.output, "OK simulation"), 2, "%s", job.output.c_str());
  cr_assert_eq(occurrences(job.output, "OK analytics 2/3"), 1, "%s", job.output.c_str());
}

Test(runtime_errors, missing_simulation_role_fails_on_every_process, .timeout = 90) {
  const auto job = run_job("-np 2 PROBE --role analytics");
  cr_assert_neq(job.exit_code, 0, "%s", job.output.c_str());
  cr_assert_eq(occurrences(job.output, "no process declared the role 'simulation'"), 2, "%s",
               job.output.c_str());
}

Test(runtime_errors, a_role_required_by_one_process_is_required_by_all, .timeout = 90) {
  const auto job =
      run_job("-np 1 PROBE --role simulation --require scheduler : -np 1 PROBE --role analytics");
  cr_assert_neq(job.exit_code, 0, "%s", job.output.c_str());
  cr_assert_eq(occurrences(job.output, "no process declared the role 'scheduler'"), 2, "%s",
               job.output.c_str());
}

Test(runtime_errors, a_process_without_role_is_named, .timeout = 90) {
  const auto job = run_job("-np 2 PROBE --role simulation : -np 1 PROBE");
  cr_assert_neq(job.exit_code, 0, "%s", job.output.c_str());
  cr_assert_eq(occurrences(job.output, "world rank(s) 2 declared no role"), 3, "%s",
               job.output.c_str());
}

Test(runtime_errors, an_unknown_role_is_named_by_the_process_that_declared_it, .timeout = 90) {
  const auto job = run_job("-np 1 PROBE --role simulation : -np 1 PROBE --role simulator");
  cr_assert_neq(job.exit_code, 0, "%s", job.output.c_str());
  cr_assert_eq(occurrences(job.output, "world rank(s) 1 declared a role that does not exist"), 2,
               "%s", job.output.c_str());
  cr_assert_eq(occurrences(job.output, "this process declared 'simulator'"), 1, "%s",
               job.output.c_str());
}

Test(runtime_errors, a_process_that_never_joins_is_an_error_not_a_hang, .timeout = 90) {
  const auto job = run_job(
      "-np 2 PROBE --role simulation --join-timeout-ms 1500 : -np 1 PROBE --skip-runtime 30");
  cr_assert_neq(job.exit_code, 0, "%s", job.output.c_str());
  cr_assert_geq(occurrences(job.output,
                            "not every process of MPI_COMM_WORLD constructed a "
                            "sluice::Runtime within 1500 ms"),
                1, "%s", job.output.c_str());
  // The job is torn down at the timeout, before the idle process wakes (no clock is
  // asserted: the time is only reported).
  cr_assert_eq(occurrences(job.output, "the idle process slept to the end"), 0, "%s",
               job.output.c_str());
  cr_log_info("the job ended %.1f s after it started", job.seconds);
}
