#include "sluice/core/error.hpp"

#include <string>

namespace sluice {
namespace {

std::string compose(std::string_view asked, std::string_view problem, std::string_view remedy) {
  std::string message{asked};
  message += ": ";
  message += problem;
  if (!remedy.empty()) {
    message += " (";
    message += remedy;
    message += ')';
  }
  return message;
}

}  // namespace

Error::Error(std::string_view asked, std::string_view problem, std::string_view remedy)
    : std::runtime_error(compose(asked, problem, remedy)),
      m_asked(asked),
      m_problem(problem),
      m_remedy(remedy) {}

MpiError::MpiError(std::string_view call, int code, int error_class, std::string_view mpi_message,
                   std::string_view hint)
    : Error(hint.empty() ? std::string(call) : std::string(hint),
            std::string(call) + " failed with error " + std::to_string(code) + " (class " +
                std::to_string(error_class) + "): " + std::string(mpi_message)),
      m_call(call),
      m_code(code),
      m_error_class(error_class) {}

}  // namespace sluice
