#pragma once
// The C API's handles: plain structs behind opaque pointers, each starting with a magic
// number of its kind. A call checks it before touching anything else, and finalizing
// clears it and keeps the struct's few bytes for the rest of the process (retire()), so
// a NULL, finalized or foreign handle is an error code, never a read of freed memory,
// at the cost of one load per call.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sluice/channel/bridge.hpp"
#include "sluice/core/error.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/sluice.h"
#include "sluice/steer/param.hpp"

namespace sluice::capi {

enum class Kind : std::uint32_t {
  dead = 0,
  bridge = 0x51b71d6e,
  stream = 0x5157ea11,
  param = 0x5194a7a1,
};

/// A NULL, finalized or foreign handle.
class HandleError : public Error {
 public:
  using Error::Error;
};
[[noreturn]] void bad_handle(const void* handle, Kind kind, const char* what, const char* call);

/// Throws HandleError unless `handle` is a live handle of `kind`.
template <typename Handle>
void require(const Handle* handle, Kind kind, const char* what, const char* call) {
  if (handle == nullptr || handle->magic != kind) [[unlikely]] {
    bad_handle(handle, kind, what, call);
  }
}

}  // namespace sluice::capi

struct sluice_stream {
  sluice::capi::Kind magic = sluice::capi::Kind::stream;
  sluice::channel::Channel* channel = nullptr;
  sluice_bridge* bridge = nullptr;
};

struct sluice_param {
  sluice::capi::Kind magic = sluice::capi::Kind::param;
  std::variant<sluice::steer::Param<double>, sluice::steer::Param<std::int64_t>,
               sluice::steer::Param<bool>>
      value;
};

struct sluice_bridge {
  sluice::capi::Kind magic = sluice::capi::Kind::bridge;
  std::unique_ptr<sluice::Runtime> runtime;
  std::unique_ptr<sluice::channel::Bridge> bridge;
  std::vector<std::unique_ptr<sluice_stream>> streams;
  std::vector<std::unique_ptr<sluice_param>> params;
};

namespace sluice::capi {

/// Marks the bridge and its streams and parameters dead, destroys what they wrapped and
/// keeps their structs until the process ends. Never throws.
void retire(std::unique_ptr<sluice_bridge> bridge) noexcept;

/// Runs `body`, turning every exception into a status code and the thread's last
/// error message: no exception crosses the C boundary.
template <typename Body>
int guarded(const char* call, Body&& body) noexcept;

/// Records `message` as this thread's last error and returns `status`.
int fail(int status, const std::string& message) noexcept;
/// Clears this thread's last error.
void clear_error() noexcept;
/// The status and message of the exception being handled (inside a catch block).
int fail_current(const char* call) noexcept;

template <typename Body>
int guarded(const char* call, Body&& body) noexcept {
  try {
    body();
    return SLUICE_OK;
  } catch (...) {
    return fail_current(call);
  }
}

}  // namespace sluice::capi
