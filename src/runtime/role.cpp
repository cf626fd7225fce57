#include "sluice/runtime/role.hpp"

namespace sluice {

std::string_view role_name(Role role) noexcept {
  switch (role) {
    case Role::simulation:
      return "simulation";
    case Role::scheduler:
      return "scheduler";
    case Role::analytics:
      return "analytics";
    case Role::service:
      return "service";
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) noexcept {
  for (Role role : all_roles) {
    if (name == role_name(role)) {
      return role;
    }
  }
  if (name == "consumer") {
    return Role::analytics;
  }
  return std::nullopt;
}

}  // namespace sluice
