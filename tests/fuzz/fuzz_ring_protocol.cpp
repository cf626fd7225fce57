// Fuzz target: the scheduler ring's directory protocol (src/ring/directory_protocol.hpp):
// message headers, member lists and key transfers between schedulers and clients.
#include <span>
#include <string>
#include <vector>

#include "../../src/ring/directory_protocol.hpp"
#include "fuzz_common.hpp"
#include "sluice/core/error.hpp"

using namespace sluice::ring;
using namespace sluice::ring::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = sluice::fuzz::split(data, size);
  try {
    switch (input.selector % 3) {
      case 0: {
        Decoded decoded;
        const auto bytes = std::as_bytes(std::span(input.message.data(), input.message.size()));
        if (decode(bytes, decoded).empty()) {
          // What a scheduler does next with the value of these kinds.
          std::vector<MemberId> members;
          if (decoded.header.kind == Kind::prepare) {
            (void)decode_members(decoded.value, members);
          } else if (decoded.header.kind == Kind::transfer) {
            (void)for_each_entry(decoded.value, [](std::string_view, std::string_view) {});
          } else if (decoded.header.kind == Kind::ok) {
            (void)decode_members(decoded.key, members);
          }
        }
        break;
      }
      case 1: {
        std::vector<MemberId> members;
        (void)decode_members(input.message, members);
        break;
      }
      case 2: {
        std::size_t total = 0;
        (void)for_each_entry(input.message, [&](std::string_view key, std::string_view value) {
          total += key.size() + value.size();
        });
        if (total > input.message.size()) {
          __builtin_trap();  // entries larger than the bytes that hold them
        }
        break;
      }
    }
  } catch (const sluice::Error&) {
    // A refusal.
  }
  return 0;
}
