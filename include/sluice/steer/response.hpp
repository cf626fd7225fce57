#pragma once
/// @file
/// How a steering request ended: a Code, and for a whole request the Response a
/// service process gets back from the simulation.
///
/// Both sides use these: the simulation's Agent and its checks (Verdict), the service
/// process's Link, and the Thrift steering server, which maps each Code to a typed
/// exception.
///
/// @code
/// const sluice::steer::Verdict verdict = sluice::steer::check_control(stream, change);
/// if (!verdict.ok()) { std::cerr << code_name(verdict.code) << ": " << verdict.message; }
/// @endcode

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/steer/param.hpp"
#include "sluice/steer/stream_control.hpp"

namespace sluice::steer {

/// How a steering request ended.
enum class Code : std::int32_t {
  ok = 0,
  unknown_name = 1,   ///< no parameter (or stream) of that name
  wrong_type = 2,     ///< the value's type is not the parameter's
  out_of_range = 3,   ///< outside the bounds, or not a finite number
  not_permitted = 4,  ///< refused by the server (token)
  finished = 5,       ///< the simulation has finished
  bad_request = 6,    ///< malformed
  /// The simulation did not answer in time (it may be in a long iteration). If the
  /// request had not left this process it was withdrawn; otherwise it may still be
  /// applied at the next iteration boundary (the message says which).
  timeout = 7,
  bad_region = 8,  ///< a region outside the array, or with the wrong number of dimensions
};

/// "ok", "unknown name", ... Thread-safe.
[[nodiscard]] std::string_view code_name(Code code) noexcept;

/// The outcome of checking one request: Code::ok, or a refusal and why, in words a
/// client can act on.
struct Verdict {
  Code code = Code::ok;
  std::string message;

  [[nodiscard]] bool ok() const noexcept { return code == Code::ok; }
};

/// A simulation's answer to one request.
struct Response {
  Code code = Code::ok;
  /// For a change: the iteration from which it holds on every rank. For status: the
  /// last iteration the simulation ended (-1 before the first).
  std::int64_t iteration = -1;
  bool paused = false;
  std::string message;                 ///< why, when code is not ok
  std::vector<ParamEntry> params;      ///< for status
  std::vector<SteeredStream> streams;  ///< for status: shape, dtype, exposure
  /// For status: what the simulation waits on while it cannot end its iteration (a
  /// reader that holds a slot of a `block` stream: which, for how long), or empty.
  std::string waiting;
};

}  // namespace sluice::steer
