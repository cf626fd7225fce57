// Status codes and the thread's last error message of the C API.
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "handles.hpp"

namespace sluice::capi {

namespace {

thread_local std::string t_last_error;

// Finalized bridges, their handles' magic cleared (see handles.hpp).
std::mutex& retired_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::vector<std::unique_ptr<sluice_bridge>>& retired() {
  static std::vector<std::unique_ptr<sluice_bridge>> bridges;
  return bridges;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::bridge:
      return "sluice_bridge";
    case Kind::stream:
      return "sluice_stream";
    case Kind::param:
      return "sluice_param";
    case Kind::dead:
      break;
  }
  return "handle";
}

}  // namespace

void bad_handle(const void* handle, Kind kind, const char* what, const char* call) {
  if (handle == nullptr) {
    throw HandleError(std::string(call), std::string("the ") + what + " is NULL",
                      std::string("pass the ") + kind_name(kind) + " sluice gave you");
  }
  throw HandleError(std::string(call),
                    std::string("the ") + what + " is not a live " + kind_name(kind),
                    "it was finalized, or is another kind of handle");
}

void retire(std::unique_ptr<sluice_bridge> bridge) noexcept {
  if (!bridge) {
    return;
  }
  bridge->magic = Kind::dead;
  for (const auto& stream : bridge->streams) {
    stream->magic = Kind::dead;
    stream->channel = nullptr;
  }
  for (const auto& param : bridge->params) {
    param->magic = Kind::dead;
  }
  bridge->bridge.reset();  // before the runtime it refers to
  bridge->runtime.reset();
  try {
    const std::lock_guard lock(retired_mutex());
    retired().push_back(std::move(bridge));
  } catch (...) {
    (void)bridge.release();  // kept all the same: stale handles may still point here
  }
}

int fail(int status, const std::string& message) noexcept {
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();
  }
  return status;
}

void clear_error() noexcept { t_last_error.clear(); }

int fail_current(const char* call) noexcept {
  try {
    throw;
  } catch (const HandleError& e) {
    return fail(SLUICE_ERR_HANDLE, e.what());
  } catch (const InvalidArgument& e) {
    return fail(SLUICE_ERR_INVALID_ARGUMENT, e.what());
  } catch (const NotFound& e) {
    return fail(SLUICE_ERR_NOT_FOUND, e.what());
  } catch (const StateError& e) {
    return fail(SLUICE_ERR_STATE, e.what());
  } catch (const MpiError& e) {
    return fail(SLUICE_ERR_MPI, e.what());
  } catch (const RoleError& e) {
    return fail(SLUICE_ERR_ROLE, e.what());
  } catch (const std::bad_alloc&) {
    return fail(SLUICE_ERR_OTHER, std::string(call) + ": out of memory");
  } catch (const std::exception& e) {
    return fail(SLUICE_ERR_OTHER, std::string(call) + ": " + e.what());
  } catch (...) {
    return fail(SLUICE_ERR_OTHER, std::string(call) + ": unknown error");
  }
}

}  // namespace sluice::capi

extern "C" {

const char* sluice_last_error(void) { return sluice::capi::t_last_error.c_str(); }

const char* sluice_status_name(int status) {
  switch (status) {
    case SLUICE_OK:
      return "SLUICE_OK";
    case SLUICE_ERR_INVALID_ARGUMENT:
      return "SLUICE_ERR_INVALID_ARGUMENT";
    case SLUICE_ERR_NOT_FOUND:
      return "SLUICE_ERR_NOT_FOUND";
    case SLUICE_ERR_STATE:
      return "SLUICE_ERR_STATE";
    case SLUICE_ERR_MPI:
      return "SLUICE_ERR_MPI";
    case SLUICE_ERR_ROLE:
      return "SLUICE_ERR_ROLE";
    case SLUICE_ERR_HANDLE:
      return "SLUICE_ERR_HANDLE";
    case SLUICE_ERR_OTHER:
      return "SLUICE_ERR_OTHER";
    default:
      return "unknown status";
  }
}

}  // extern "C"
