#pragma once
// The C API's handles: plain structs behind opaque pointers, each registered in a
// table of live handles while it exists. A call checks the table before touching the
// pointer, so a NULL, finalized or foreign handle is an error code, never a read of
// freed memory.
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

enum class Kind : std::uint32_t { bridge = 0x51b71d6e, stream = 0x5157ea11, param = 0x5194a7a1 };

/// Registers / unregisters a live handle. Thread-safe.
void register_handle(const void* handle, Kind kind);
void unregister_handle(const void* handle);
/// Whether `handle` is live and of `kind`. Thread-safe.
[[nodiscard]] bool is_live(const void* handle, Kind kind) noexcept;

/// Throws HandleError unless `handle` is a live handle of `kind`.
class HandleError : public Error {
 public:
  using Error::Error;
};
void require(const void* handle, Kind kind, const char* what, const char* call);

}  // namespace sluice::capi

struct sluice_stream {
  sluice::channel::Channel* channel = nullptr;
  sluice_bridge* bridge = nullptr;
};

struct sluice_param {
  std::variant<sluice::steer::Param<double>, sluice::steer::Param<std::int64_t>,
               sluice::steer::Param<bool>>
      value;
};

struct sluice_bridge {
  std::unique_ptr<sluice::Runtime> runtime;
  std::unique_ptr<sluice::channel::Bridge> bridge;
  std::vector<std::unique_ptr<sluice_stream>> streams;
  std::vector<std::unique_ptr<sluice_param>> params;
};

namespace sluice::capi {

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
