#pragma once
// What every fuzz target shares: the first byte of an input picks the decoder, the
// rest is the message. A decoder may refuse a message by returning false or by
// throwing sluice::Error (the documented refusal); anything else that escapes (another
// exception, a crash, a sanitizer report) is a bug and fails the run.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::fuzz {

struct Input {
  std::uint8_t selector = 0;
  std::string_view message;
};

inline Input split(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return {};
  }
  return {data[0], std::string_view(reinterpret_cast<const char*>(data + 1), size - 1)};
}

}  // namespace sluice::fuzz
