#pragma once
// Command-line parsing shared by the heat2d programs: every option is --name VALUE,
// and a bad value stops the program with a message saying which and why.
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace heat2d {

template <typename T>
T parse_value(std::string_view program, std::string_view option, std::string_view text) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    std::cerr << program << ": " << option << " expects a number, got '" << text
              << "' (see --help)\n";
    std::exit(2);
  }
  return value;
}

}  // namespace heat2d
