// Fuzz target: the steering protocol (src/steer/protocol.cpp), the messages a steering
// service process passes on from remote clients to simulation rank 0 and back.
#include <span>
#include <string>
#include <vector>

#include "../../src/steer/protocol.hpp"
#include "fuzz_common.hpp"
#include "sluice/core/error.hpp"

using namespace sluice::steer;
using namespace sluice::steer::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = sluice::fuzz::split(data, size);
  const auto bytes = std::as_bytes(std::span(input.message.data(), input.message.size()));
  try {
    switch (input.selector % 6) {
      case 0: {
        RequestHeader header;
        std::string_view name;
        std::string_view body;
        if (decode_request(bytes, header, name, body)) {
          (void)value_from_bits(header.type, header.payload);
        }
        break;
      }
      case 1: {
        ReplyHeader header;
        std::string_view text;
        (void)decode_reply(bytes, header, text);
        break;
      }
      case 2: {
        std::vector<ParamEntry> params;
        (void)decode_params(input.message, params);
        break;
      }
      case 3: {
        std::vector<ParamEntry> params;
        std::vector<SteeredStream> streams;
        (void)decode_status(input.message, params, streams);
        break;
      }
      case 4: {
        StreamControl control;
        (void)decode_control(input.message, control);
        break;
      }
      case 5: {
        std::string dtype;
        sluice::Box region;
        std::string_view elements;
        (void)decode_injection(input.message, dtype, region, elements);
        break;
      }
    }
  } catch (const sluice::Error&) {
    // A refusal.
  }
  return 0;
}
