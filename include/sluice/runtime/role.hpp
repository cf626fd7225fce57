#pragma once
/// @file
/// The roles a process of a sluice job can play (DESIGN.md §1).

#include <array>
#include <optional>
#include <string_view>

namespace sluice {

enum class Role {
  simulation,  ///< the user's simulation, exposing arrays through sluice::Bridge
  scheduler,   ///< a member of the scheduler ring (sluice-scheduler)
  analytics,   ///< an analytics client: builds graphs, subscribes to streams, steers
  service,     ///< hosts services such as the steering server; never a simulation rank
};

/// Every role, in declaration order.
inline constexpr std::array<Role, 4> all_roles{Role::simulation, Role::scheduler, Role::analytics,
                                               Role::service};

/// "simulation", "scheduler", "analytics", "service".
[[nodiscard]] std::string_view role_name(Role role) noexcept;

/// Parses a role name as printed by role_name; "consumer" is accepted for analytics.
/// std::nullopt if the name is not a role.
[[nodiscard]] std::optional<Role> parse_role(std::string_view name) noexcept;

}  // namespace sluice
