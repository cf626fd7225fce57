// The C API's start and end: a simulation process's Runtime and Bridge behind one handle.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "handles.hpp"
#include "sluice/core/log.hpp"
#include "sluice/core/version.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"

namespace sluice::capi {
namespace {

void require_mpi(const char* call) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized == 0 || finalized != 0) {
    throw StateError(call, finalized != 0 ? "MPI is finalized" : "MPI is not initialised",
                     "call MPI_Init (or MPI_Init_thread) before sluice_init and MPI_Finalize "
                     "after sluice_finalize");
  }
}

// The simulation's Runtime and Bridge; every process of the job declares its role here.
std::unique_ptr<sluice_bridge> make_bridge(const char* call) {
  require_mpi(call);
  auto handle = std::make_unique<sluice_bridge>();
  handle->runtime = std::make_unique<Runtime>(Role::simulation);
  handle->bridge = std::make_unique<channel::Bridge>(*handle->runtime);
  return handle;
}

sluice_bridge* registered(std::unique_ptr<sluice_bridge> handle) { return handle.release(); }

// Every rank of the simulation agrees whether the communicator the simulation gave
// holds exactly the simulation's processes.
void check_same_processes(MPI_Comm given, const Runtime& runtime, const char* call) {
  int result = MPI_UNEQUAL;
  if (given != MPI_COMM_NULL) {
    check_mpi(MPI_Comm_compare(given, runtime.comm().get(), &result), "MPI_Comm_compare",
              "comparing the simulation's communicator with sluice's");
  }
  int same = (result == MPI_IDENT || result == MPI_CONGRUENT || result == MPI_SIMILAR) ? 1 : 0;
  int all_same = 0;
  check_mpi(MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_MIN, runtime.comm().get()),
            "MPI_Allreduce", "agreeing on the simulation's communicator");
  if (all_same == 0) {
    throw RoleError(call,
                    "the communicator given does not hold exactly the job's " +
                        std::to_string(runtime.comm().size()) +
                        " simulation processes (those calling sluice_init)",
                    "pass the simulation's own communicator, or call sluice_init_split and use "
                    "the communicator it returns");
  }
}

}  // namespace
}  // namespace sluice::capi

using sluice::capi::guarded;
using sluice::capi::Kind;
using sluice::capi::require;

extern "C" {

const char* sluice_version(void) { return sluice::version_string().data(); }

void sluice_abort(const char* message, int code) {
  std::fprintf(stderr, "sluice: %s\n", message != nullptr ? message : "aborting");
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
}

int sluice_init(MPI_Comm sim_comm, sluice_bridge** bridge) {
  constexpr const char* call = "sluice_init";
  return guarded(call, [&] {
    if (bridge == nullptr) {
      throw sluice::InvalidArgument(call, "the output pointer is NULL");
    }
    *bridge = nullptr;
    auto handle = sluice::capi::make_bridge(call);
    sluice::capi::check_same_processes(sim_comm, *handle->runtime, call);
    *bridge = sluice::capi::registered(std::move(handle));
  });
}

int sluice_init_split(MPI_Comm* sim_comm, sluice_bridge** bridge) {
  constexpr const char* call = "sluice_init_split";
  return guarded(call, [&] {
    if (bridge == nullptr || sim_comm == nullptr) {
      throw sluice::InvalidArgument(call, "an output pointer is NULL");
    }
    *bridge = nullptr;
    auto handle = sluice::capi::make_bridge(call);
    *sim_comm = handle->runtime->comm().get();
    *bridge = sluice::capi::registered(std::move(handle));
  });
}

int sluice_init_f(MPI_Fint sim_comm, sluice_bridge** bridge) {
  return sluice_init(MPI_Comm_f2c(sim_comm), bridge);
}

int sluice_init_split_f(MPI_Fint* sim_comm, sluice_bridge** bridge) {
  if (sim_comm == nullptr) {
    return sluice_init_split(nullptr, bridge);
  }
  MPI_Comm comm = MPI_COMM_NULL;
  const int status = sluice_init_split(&comm, bridge);
  if (status == SLUICE_OK) {
    *sim_comm = MPI_Comm_c2f(comm);
  }
  return status;
}

int sluice_end_iteration(sluice_bridge* bridge, int64_t iteration) {
  return guarded("sluice_end_iteration", [&] {
    require(bridge, Kind::bridge, "bridge", "sluice_end_iteration");
    bridge->bridge->end_iteration(iteration);
  });
}

int sluice_close(sluice_bridge* bridge) {
  return guarded("sluice_close", [&] {
    require(bridge, Kind::bridge, "bridge", "sluice_close");
    if (!bridge->bridge->is_closed()) {
      bridge->bridge->close();
    }
  });
}

int sluice_finalize(sluice_bridge** bridge) {
  constexpr const char* call = "sluice_finalize";
  const int status = guarded(call, [&] {
    if (bridge == nullptr) {
      throw sluice::InvalidArgument(call, "the pointer to the bridge is NULL");
    }
    require(*bridge, Kind::bridge, "bridge", call);
    std::unique_ptr<sluice_bridge> owned(*bridge);
    *bridge = nullptr;
    // Whatever happens below, the handles are dead afterwards and their memory kept.
    struct RetireAtExit {
      std::unique_ptr<sluice_bridge>& bridge;
      ~RetireAtExit() { sluice::capi::retire(std::move(bridge)); }
    } retire_at_exit{owned};
    if (!owned->bridge->is_closed()) {
      owned->bridge->close();
    }
    owned->runtime->free();
  });
  if (status == SLUICE_OK && sluice::mpi::Environment::finalize_is_forgone()) {
    // The simulation's next call is MPI_Finalize, which would wait forever for the
    // process the job lost: the simulation ends here, its run complete.
    sluice::log::warn(
        "sluice_finalize ends this process (exit status 0): the job lost a process, which "
        "MPI_Finalize would wait for forever");
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return status;
}

int sluice_stop_requested(const sluice_bridge* bridge, bool* stop) {
  return guarded("sluice_stop_requested", [&] {
    require(bridge, Kind::bridge, "bridge", "sluice_stop_requested");
    if (stop == nullptr) {
      throw sluice::InvalidArgument("sluice_stop_requested", "the output pointer is NULL");
    }
    *stop = bridge->bridge->stop_requested();
  });
}

int sluice_paused(const sluice_bridge* bridge, bool* paused) {
  return guarded("sluice_paused", [&] {
    require(bridge, Kind::bridge, "bridge", "sluice_paused");
    if (paused == nullptr) {
      throw sluice::InvalidArgument("sluice_paused", "the output pointer is NULL");
    }
    *paused = bridge->bridge->steering().paused();
  });
}

}  // extern "C"
