#pragma once
// Regions of an array as the command-line tools write them: half-open ranges per
// dimension, "0:128,16:32"; "all" for the whole array.
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::cli {

struct RegionText {
  std::vector<std::int64_t> start;  // both empty: the whole array
  std::vector<std::int64_t> count;
};

// std::invalid_argument with a message for the user if `text` is not a region.
[[nodiscard]] RegionText parse_region(const std::string& text);
// "10,20" -> {10, 20}; std::invalid_argument otherwise.
[[nodiscard]] std::vector<std::int64_t> parse_corner(const std::string& text);
// The inverse of parse_region.
[[nodiscard]] std::string region_text(const std::vector<std::int64_t>& start,
                                      const std::vector<std::int64_t>& count);

}  // namespace sluice::cli
