#include "sluice/mpi/environment.hpp"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"

namespace sluice::mpi {

int to_mpi(ThreadLevel level) noexcept {
  switch (level) {
    case ThreadLevel::single:
      return MPI_THREAD_SINGLE;
    case ThreadLevel::funneled:
      return MPI_THREAD_FUNNELED;
    case ThreadLevel::serialized:
      return MPI_THREAD_SERIALIZED;
    case ThreadLevel::multiple:
      return MPI_THREAD_MULTIPLE;
  }
  return MPI_THREAD_SINGLE;
}

ThreadLevel from_mpi(int provided) noexcept {
  if (provided >= MPI_THREAD_MULTIPLE) {
    return ThreadLevel::multiple;
  }
  if (provided >= MPI_THREAD_SERIALIZED) {
    return ThreadLevel::serialized;
  }
  if (provided >= MPI_THREAD_FUNNELED) {
    return ThreadLevel::funneled;
  }
  return ThreadLevel::single;
}

std::string_view thread_level_name(ThreadLevel level) noexcept {
  switch (level) {
    case ThreadLevel::single:
      return "MPI_THREAD_SINGLE";
    case ThreadLevel::funneled:
      return "MPI_THREAD_FUNNELED";
    case ThreadLevel::serialized:
      return "MPI_THREAD_SERIALIZED";
    case ThreadLevel::multiple:
      return "MPI_THREAD_MULTIPLE";
  }
  return "unknown";
}

Environment::Environment(int& argc, char**& argv, ThreadLevel required) {
  start(&argc, &argv, required);
}

Environment::Environment(ThreadLevel required) { start(nullptr, nullptr, required); }

void Environment::start(int* argc, char*** argv, ThreadLevel required) {
  if (is_finalized()) {
    throw StateError("initialising MPI", "MPI has already been finalised in this process",
                     "create the sluice::mpi::Environment before anything finalises MPI");
  }
  int provided = MPI_THREAD_SINGLE;
  if (is_initialized()) {
    check_mpi(MPI_Query_thread(&provided), "MPI_Query_thread", "joining an initialised MPI");
  } else {
    check_mpi(MPI_Init_thread(argc, argv, to_mpi(required), &provided), "MPI_Init_thread",
              "initialising MPI");
    m_initialised_here = true;
  }
  m_provided = from_mpi(provided);
  if (m_provided < required) {
    if (m_initialised_here) {
      // Every rank sees the same level, so finalising here is collective as required.
      MPI_Finalize();
    }
    throw Error("initialising MPI with " + std::string(thread_level_name(required)),
                "MPI provides only " + std::string(thread_level_name(m_provided)),
                "initialise MPI with a higher thread level, or use an MPI built with thread "
                "support");
  }
}

namespace {
// Set once, by the runtime's close, from the process's main thread.
std::string& forgone_because() {
  static std::string why;
  return why;
}
}  // namespace

void Environment::forgo_finalize(std::string_view why) {
  if (forgone_because().empty()) {
    forgone_because() = why.empty() ? std::string("the job lost a process") : std::string(why);
  }
}

bool Environment::finalize_is_forgone() noexcept { return !forgone_because().empty(); }

Environment::~Environment() {
  if (m_initialised_here && !is_finalized()) {
    if (finalize_is_forgone()) {
      log::info("MPI is not finalised: ", forgone_because());
      return;
    }
    MPI_Finalize();
  }
}

bool Environment::is_initialized() noexcept {
  int flag = 0;
  MPI_Initialized(&flag);
  return flag != 0;
}

bool Environment::is_finalized() noexcept {
  int flag = 0;
  MPI_Finalized(&flag);
  return flag != 0;
}

}  // namespace sluice::mpi
