#include "sluice/steer/response.hpp"

namespace sluice::steer {

std::string_view code_name(Code code) noexcept {
  switch (code) {
    case Code::ok:
      return "ok";
    case Code::unknown_name:
      return "unknown name";
    case Code::wrong_type:
      return "wrong type";
    case Code::out_of_range:
      return "out of range";
    case Code::not_permitted:
      return "not permitted";
    case Code::finished:
      return "simulation finished";
    case Code::bad_request:
      return "bad request";
    case Code::timeout:
      return "timeout";
    case Code::bad_region:
      return "bad region";
  }
  return "unknown";
}

}  // namespace sluice::steer
