#include "sluice/channel/options.hpp"

namespace sluice::channel {

std::string_view policy_name(Policy policy) noexcept {
  switch (policy) {
    case Policy::block:
      return "block";
    case Policy::skip:
      return "skip";
    case Policy::latest:
      return "latest";
  }
  return "unknown";
}

std::optional<Policy> parse_policy(std::string_view name) noexcept {
  for (Policy policy : {Policy::block, Policy::skip, Policy::latest}) {
    if (name == policy_name(policy)) {
      return policy;
    }
  }
  return std::nullopt;
}

}  // namespace sluice::channel
