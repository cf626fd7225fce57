#include "sluice/core/version.hpp"

namespace sluice {

Version version() noexcept {
  return {SLUICE_VERSION_MAJOR, SLUICE_VERSION_MINOR, SLUICE_VERSION_PATCH};
}

std::string_view version_string() noexcept { return SLUICE_VERSION_STRING; }

}  // namespace sluice
