#include "sluice/steer/stream_control.hpp"

namespace sluice::steer {

std::int64_t Region::elements(const std::vector<std::int64_t>& shape) const noexcept {
  std::int64_t n = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    n *= whole() ? shape[d] : (d < count.size() ? count[d] : 0);
  }
  return n;
}

std::string Region::check_against(const std::vector<std::int64_t>& shape) const {
  if (whole()) {
    return {};
  }
  const auto dims = std::to_string(shape.size());
  if (start.size() != shape.size() || count.size() != shape.size()) {
    return "the array has " + dims + " dimension(s); the region gives " +
           std::to_string(start.size()) + " start(s) and " + std::to_string(count.size()) +
           " count(s)";
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const auto axis = "dimension " + std::to_string(d) + ": ";
    if (count[d] < 1) {
      return axis + "count " + std::to_string(count[d]) + " is not positive";
    }
    if (start[d] < 0 || start[d] >= shape[d] || count[d] > shape[d] - start[d]) {
      return axis + "[" + std::to_string(start[d]) + ", " + std::to_string(start[d]) + " + " +
             std::to_string(count[d]) + ") is outside [0, " + std::to_string(shape[d]) + ")";
    }
  }
  return {};
}

std::string Region::describe() const {
  if (whole()) {
    return "all";
  }
  std::string text = "[";
  for (std::size_t d = 0; d < start.size() && d < count.size(); ++d) {
    text +=
        (d == 0 ? "" : ", ") + std::to_string(start[d]) + ":" + std::to_string(start[d] + count[d]);
  }
  return text + "]";
}

}  // namespace sluice::steer
