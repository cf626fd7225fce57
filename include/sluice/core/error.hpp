#pragma once
/// @file
/// The exceptions sluice throws for set-up problems and bad input.
///
/// Per-iteration conditions (not ready, end of stream, a lagging reader) are not
/// exceptions: they come back as status values. Everything here is for a mistake a
/// user can fix, so every message says what was asked, what is wrong and, where
/// there is one, what to do about it.
///
/// @code
/// try {
///   runtime.ranks_of(Role::scheduler);
/// } catch (const sluice::Error& e) {
///   std::cerr << e.what() << '\n';  // "...: no process declared the role ..."
/// }
/// @endcode

#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice {

/// Base of every exception sluice throws. Catch this to catch them all.
class Error : public std::runtime_error {
 public:
  /// A message assembled as "<asked>: <problem>[ (<remedy>)]".
  Error(std::string_view asked, std::string_view problem, std::string_view remedy = {});

  /// The three parts as given, for callers that render errors themselves
  /// (e.g. the steering service turning them into typed remote exceptions).
  [[nodiscard]] const std::string& asked() const noexcept { return m_asked; }
  [[nodiscard]] const std::string& problem() const noexcept { return m_problem; }
  [[nodiscard]] const std::string& remedy() const noexcept { return m_remedy; }

 private:
  std::string m_asked;
  std::string m_problem;
  std::string m_remedy;
};

/// A value the caller passed is invalid: out of range, wrong shape, wrong type.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A name (stream, parameter, role, option) is not known.
class NotFound : public Error {
 public:
  using Error::Error;
};

/// The call is valid in general but not in the object's current state
/// (e.g. publishing on a closed stream, freeing a window twice).
class StateError : public Error {
 public:
  using Error::Error;
};

/// The processes of the job do not add up to a valid sluice job: a process declared
/// no role or an unknown one, a required role is missing, a process never joined.
class RoleError : public Error {
 public:
  using Error::Error;
};

/// An MPI call returned an error code. Carries the code, its error class and MPI's
/// own description of it. Thrown by sluice::mpi::check_mpi.
class MpiError : public Error {
 public:
  MpiError(std::string_view call, int code, int error_class, std::string_view mpi_message,
           std::string_view hint);

  /// The MPI function that failed, e.g. "MPI_Get".
  [[nodiscard]] const std::string& call() const noexcept { return m_call; }
  /// The error code the call returned.
  [[nodiscard]] int code() const noexcept { return m_code; }
  /// The code's error class (MPI_Error_class), comparable to MPI_ERR_* constants.
  [[nodiscard]] int error_class() const noexcept { return m_error_class; }

 private:
  std::string m_call;
  int m_code;
  int m_error_class;
};

}  // namespace sluice
