#include <criterion/criterion.h>

#include <string>

#include "sluice/core/version.hpp"

Test(version, library_matches_headers) {
  const auto v = sluice::version();
  cr_assert_eq(v.major, SLUICE_VERSION_MAJOR);
  cr_assert_eq(v.minor, SLUICE_VERSION_MINOR);
  cr_assert_eq(v.patch, SLUICE_VERSION_PATCH);
  const std::string expected =
      std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
  const std::string loaded(sluice::version_string());
  cr_assert_str_eq(loaded.c_str(), expected.c_str());
  cr_assert_str_eq(SLUICE_VERSION_STRING, expected.c_str());
}
