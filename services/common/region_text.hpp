#pragma once
// Regions of an array as the command-line tools take them: sluice::Box's text form,
// "0:128,16:32", or "all" for the whole array (Box::parse, Box::describe).
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/core/box.hpp"

namespace sluice::cli {

// Box::parse, with its message as a std::invalid_argument: a usage error of the tool.
[[nodiscard]] Box parse_region(const std::string& text);
// "10,20" -> {10, 20}; std::invalid_argument otherwise.
[[nodiscard]] std::vector<std::int64_t> parse_corner(const std::string& text);

}  // namespace sluice::cli
