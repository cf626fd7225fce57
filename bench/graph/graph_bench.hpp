#pragma once
// What the graph benchmarks share: a one-process job that both produces the streams
// (a Producer over MPI_COMM_SELF) and runs graphs on them (a Consumer and Clients in the
// same process), and the usage text printed before Google Benchmark's own --help.
//
// Producer and graph share one process on purpose: the benchmarks measure what a
// trigger costs the process that runs it, and a publish followed by a poll then needs no
// second process to be scheduled on the two shared cores.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "sluice/channel/consumer.hpp"
#include "sluice/channel/producer.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace graph_bench {

/// Prints `usage` if --help or -h is among the arguments (Google Benchmark prints its
/// own options after it and exits, before MPI is initialised).
inline void print_usage_on_help(int argc, char** argv, const char* usage) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(usage, stdout);
      std::fputs("\nGoogle Benchmark's options:\n", stdout);
      std::fflush(stdout);
      return;
    }
  }
}

/// The job: one analytics process with a pool large enough for every stream the
/// benchmark exposes. Construct after MPI is initialised; collective over the job (one
/// process).
class Job {
 public:
  explicit Job(std::size_t pool_bytes)
      : m_runtime(sluice::Role::analytics,
                  {.required_roles = {sluice::Role::analytics}, .pool_bytes = pool_bytes}),
        m_consumer(m_runtime),
        m_producer(m_runtime, m_self) {
    m_consumer.start();
  }
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  [[nodiscard]] sluice::Runtime& runtime() noexcept { return m_runtime; }
  [[nodiscard]] sluice::channel::Consumer& consumer() noexcept { return m_consumer; }
  [[nodiscard]] sluice::channel::Producer& producer() noexcept { return m_producer; }

  /// Closes the streams and the consumer and frees the pool. Call after every Client
  /// made on consumer() is gone.
  void close() {
    m_producer.close();
    m_consumer.close();
    m_runtime.free();
  }

 private:
  sluice::Runtime m_runtime;
  sluice::mpi::Comm m_self = sluice::mpi::Comm::borrow(MPI_COMM_SELF);
  sluice::channel::Consumer m_consumer;
  sluice::channel::Producer m_producer;
};

}  // namespace graph_bench
