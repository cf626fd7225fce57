#include "region_text.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "sluice/core/error.hpp"

namespace sluice::cli {

namespace {

bool parse_number(const std::string& text, std::size_t from, std::size_t to, std::int64_t& value) {
  return from < to &&
         std::from_chars(text.data() + from, text.data() + to, value).ptr == text.data() + to;
}

}  // namespace

Box parse_region(const std::string& text) {
  try {
    return Box::parse(text);
  } catch (const InvalidArgument& e) {
    throw std::invalid_argument(e.what());
  }
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

}  // namespace sluice::cli
