#include "region_text.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace sluice::cli {

namespace {

bool parse_number(const std::string& text, std::size_t from, std::size_t to, std::int64_t& value) {
  return from < to &&
         std::from_chars(text.data() + from, text.data() + to, value).ptr == text.data() + to;
}

}  // namespace

RegionText parse_region(const std::string& text) {
  RegionText region;
  if (text == "all") {
    return region;
  }
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::size_t colon = text.find(':', at);
    std::int64_t first = 0;
    std::int64_t end = 0;
    if (colon >= comma || !parse_number(text, at, colon, first) ||
        !parse_number(text, colon + 1, comma, end)) {
      throw std::invalid_argument("'" + text + "' is not a region like 0:128,16:32 or all");
    }
    region.start.push_back(first);
    region.count.push_back(end - first);
    at = comma + 1;
  }
  return region;
}

std::vector<std::int64_t> parse_corner(const std::string& text) {
  std::vector<std::int64_t> corner;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    std::int64_t value = 0;
    if (!parse_number(text, at, comma, value)) {
      throw std::invalid_argument("'" + text + "' is not a corner like 10,20");
    }
    corner.push_back(value);
    at = comma + 1;
  }
  return corner;
}

std::string region_text(const std::vector<std::int64_t>& start,
                        const std::vector<std::int64_t>& count) {
  if (start.empty()) {
    return "all";
  }
  std::string text;
  for (std::size_t d = 0; d < start.size() && d < count.size(); ++d) {
    text += (d ? "," : "") + std::to_string(start[d]) + ":" + std::to_string(start[d] + count[d]);
  }
  return text;
}

}  // namespace sluice::cli
