#include <criterion/criterion.h>

#include <cstring>
#include <string>

#include "sluice/core/error.hpp"

using sluice::Error;

Test(error, message_says_what_was_asked_what_is_wrong_and_what_to_do) {
  const Error e("subscribing to 'T'", "no stream of that name", "list streams with status()");
  cr_assert_str_eq(e.what(),
                   "subscribing to 'T': no stream of that name (list streams with status())");
  cr_assert_str_eq(e.asked().c_str(), "subscribing to 'T'");
  cr_assert_str_eq(e.problem().c_str(), "no stream of that name");
  cr_assert_str_eq(e.remedy().c_str(), "list streams with status()");
}

Test(error, remedy_is_optional) {
  const Error e("setting dt", "0.3 is above the maximum 0.25");
  cr_assert_str_eq(e.what(), "setting dt: 0.3 is above the maximum 0.25");
  cr_assert(e.remedy().empty());
}

Test(error, subclasses_are_caught_as_error_and_as_std_exception) {
  int caught = 0;
  try {
    throw sluice::NotFound("get('alpha')", "no such parameter");
  } catch (const Error& e) {
    cr_assert_not_null(std::strstr(e.what(), "no such parameter"));
    ++caught;
  }
  try {
    throw sluice::InvalidArgument("a", "b");
  } catch (const std::exception&) {
    ++caught;
  }
  try {
    throw sluice::RoleError("a", "b");
  } catch (const sluice::RoleError&) {
    ++caught;
  }
  try {
    throw sluice::StateError("a", "b");
  } catch (const Error&) {
    ++caught;
  }
  cr_assert_eq(caught, 4);
}

Test(error, mpi_error_carries_call_code_class_and_description) {
  const sluice::MpiError e("MPI_Get", 6, 6, "MPI_ERR_RANK: invalid rank", "pulling block 3");
  cr_assert_str_eq(e.call().c_str(), "MPI_Get");
  cr_assert_eq(e.code(), 6);
  cr_assert_eq(e.error_class(), 6);
  cr_assert_str_eq(
      e.what(),
      "pulling block 3: MPI_Get failed with error 6 (class 6): MPI_ERR_RANK: invalid rank");
}

Test(error, mpi_error_without_hint_starts_with_the_call) {
  const sluice::MpiError e("MPI_Barrier", 5, 5, "invalid communicator", "");
  cr_assert_eq(std::string(e.what()).rfind("MPI_Barrier: MPI_Barrier failed", 0), 0u, "%s",
               e.what());
}
