// Fuzz target: regions and corners as the command-line tools take them
// (services/common/region_text.cpp, over Box::parse). These refuse with
// std::invalid_argument (a usage error of the tool) or sluice::Error.
#include <stdexcept>
#include <string>

#include "fuzz_common.hpp"
#include "region_text.hpp"
#include "sluice/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = sluice::fuzz::split(data, size);
  const std::string text(input.message);
  try {
    if (input.selector % 2 == 0) {
      const auto box = sluice::cli::parse_region(text);
      (void)box.describe();
    } else {
      (void)sluice::cli::parse_corner(text);
    }
  } catch (const std::invalid_argument&) {
    // A refusal.
  } catch (const sluice::Error&) {
    // A refusal.
  }
  return 0;
}
