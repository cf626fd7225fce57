#pragma once
// A minimal harness for multi-rank tests. Criterion forks each test into its own
// process, which MPI forbids after MPI_Init, so MPI tests are plain executables
// that meson runs under mpirun at several rank counts (tests/meson.build).
//
// Every rank runs every test in registration order; failed expectations are
// collected per rank, and after each test the ranks agree (MPI_Allreduce) on
// whether it passed. Rank 0 of MPI_COMM_WORLD prints one line per test and a
// Criterion-like synthesis; the exit code is non-zero if anything failed.
//
//   SLUICE_MPI_TEST(window_put_get) {
//     auto window = Window::allocate(comm, 64);
//     EXPECT_EQ(window.size_bytes(), 64u);
//   }
//
// Options: --role NAME declares the process's role for MPMD tests (see role()),
// --filter TEXT runs only tests whose name contains TEXT.

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace sluice::testing {

struct TestCase {
  std::string name;
  std::function<void()> body;
};

/// Registers a test; used by SLUICE_MPI_TEST.
bool register_test(std::string name, std::function<void()> body);

/// Records a failed expectation on this rank. Thread-safe: checks made on a service
/// thread while the test body runs are counted in the current test and reported with
/// their own file and line. Not collective (makes no MPI call).
void record_failure(const char* file, int line, const std::string& what);

/// The role given with --role (empty if none), for MPMD tests.
std::string_view role();

/// Number of failures recorded on this rank in the current test. Thread-safe.
int failures_in_current_test();

}  // namespace sluice::testing

#define SLUICE_MPI_TEST_CONCAT2(a, b) a##b
#define SLUICE_MPI_TEST_CONCAT(a, b) SLUICE_MPI_TEST_CONCAT2(a, b)

#define SLUICE_MPI_TEST(name)                                                           \
  static void sluice_mpi_test_##name();                                                 \
  [[maybe_unused]] static const bool SLUICE_MPI_TEST_CONCAT(sluice_registered_, name) = \
      ::sluice::testing::register_test(#name, &sluice_mpi_test_##name);                 \
  static void sluice_mpi_test_##name()

#define EXPECT_TRUE(cond)                                                                  \
  do {                                                                                     \
    if (!(cond)) ::sluice::testing::record_failure(__FILE__, __LINE__, "expected " #cond); \
  } while (0)

#define EXPECT_EQ(a, b)                                                                     \
  do {                                                                                      \
    const auto& sluice_a_ = (a);                                                            \
    const auto& sluice_b_ = (b);                                                            \
    if (!(sluice_a_ == sluice_b_)) {                                                        \
      std::ostringstream sluice_msg_;                                                       \
      sluice_msg_ << "expected " #a " == " #b ", got " << sluice_a_ << " vs " << sluice_b_; \
      ::sluice::testing::record_failure(__FILE__, __LINE__, sluice_msg_.str());             \
    }                                                                                       \
  } while (0)

// Expects `expr` to throw `type` whose what() contains `text`.
#define EXPECT_THROW_WITH(expr, type, text)                                                   \
  do {                                                                                        \
    bool sluice_thrown_ = false;                                                              \
    try {                                                                                     \
      (void)(expr);                                                                           \
    } catch (const type& sluice_e_) {                                                         \
      sluice_thrown_ = true;                                                                  \
      if (std::string_view(sluice_e_.what()).find(text) == std::string_view::npos) {          \
        ::sluice::testing::record_failure(__FILE__, __LINE__,                                 \
                                          std::string(#expr " threw '") + sluice_e_.what() +  \
                                              "', which does not mention '" + (text) + "'");  \
      }                                                                                       \
    } catch (const std::exception& sluice_e_) {                                               \
      sluice_thrown_ = true;                                                                  \
      ::sluice::testing::record_failure(                                                      \
          __FILE__, __LINE__, std::string(#expr " threw another type: ") + sluice_e_.what()); \
    }                                                                                         \
    if (!sluice_thrown_) {                                                                    \
      ::sluice::testing::record_failure(__FILE__, __LINE__, #expr " did not throw " #type);   \
    }                                                                                         \
  } while (0)
