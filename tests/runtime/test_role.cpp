#include <criterion/criterion.h>

#include <string>

#include "sluice/runtime/role.hpp"

Test(role, every_role_round_trips_through_its_name) {
  for (sluice::Role role : sluice::all_roles) {
    const auto parsed = sluice::parse_role(sluice::role_name(role));
    cr_assert(parsed.has_value());
    cr_assert_eq(*parsed, role);
  }
}

Test(role, consumer_is_an_alias_of_analytics) {
  cr_assert_eq(sluice::parse_role("consumer").value(), sluice::Role::analytics);
}

Test(role, unknown_names_are_rejected) {
  const char* invalid[] = {"", "Simulation", "sim", "schedulers", " analytics", "service "};
  for (const char* name : invalid) {
    cr_assert_not(sluice::parse_role(name).has_value(), "'%s' should not parse", name);
  }
}
