#pragma once
// Private: the messages between a steering service process (Link) and simulation rank
// 0 (Agent), and the batches rank 0 broadcasts to the other simulation ranks.
//
// Requests and replies are single MPI_BYTE messages on Runtime::world(): a fixed
// header, then a name and a body (requests) or a text (replies). Every field is read
// with bounds checks: a service process passes on what remote clients sent.
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sluice/steer/param.hpp"
#include "sluice/steer/response.hpp"
#include "sluice/steer/stream_control.hpp"
#include "sluice/steer/value.hpp"

namespace sluice::steer::detail {

inline constexpr int request_tag = 0x5200;  // service -> simulation rank 0
inline constexpr int reply_tag = 0x5201;    // simulation rank 0 -> service

enum class RequestKind : std::uint32_t {
  status = 1,  // iteration, paused, and the parameter table
  set = 2,
  pause = 3,
  resume = 4,
  stop = 5,
  control_stream = 6,  // name: the stream; body: encode_control
  inject = 7,          // name: the stream; body: encode_injection
  goodbye = 8,         // a service process sends nothing after this (see Agent::close)
};

struct RequestHeader {
  RequestKind kind = RequestKind::status;
  std::uint32_t name_bytes = 0;
  std::uint64_t id = 0;
  ValueType type = ValueType::f64;
  std::uint8_t padding[7] = {};
  std::uint64_t payload = 0;  // the value's bits
  std::uint64_t body_bytes = 0;
};

struct ReplyHeader {
  std::uint64_t id = 0;  // 0: the simulation has finished (sent to every service)
  Code code = Code::ok;
  std::uint32_t text_bytes = 0;
  std::int64_t iteration = -1;  // of the change, or the last iteration ended
  std::uint8_t paused = 0;
  std::uint8_t padding[7] = {};
};

inline std::uint64_t value_bits(const Value& value) {
  std::uint64_t bits = 0;
  std::visit(
      [&](auto v) {
        if constexpr (std::is_same_v<decltype(v), bool>) {
          bits = v ? 1 : 0;
        } else {
          std::memcpy(&bits, &v, sizeof(bits));
        }
      },
      value);
  return bits;
}

inline std::optional<Value> value_from_bits(ValueType type, std::uint64_t bits) {
  switch (type) {
    case ValueType::f64: {
      double v = 0;
      std::memcpy(&v, &bits, sizeof(v));
      return v;
    }
    case ValueType::i64: {
      std::int64_t v = 0;
      std::memcpy(&v, &bits, sizeof(v));
      return v;
    }
    case ValueType::flag:
      if (bits > 1) {
        return std::nullopt;
      }
      return bits == 1;
  }
  return std::nullopt;
}

std::vector<std::byte> encode_request(const RequestHeader& fields, std::string_view name,
                                      std::string_view body = {});
std::vector<std::byte> encode_reply(const ReplyHeader& fields, std::string_view text);

// False unless the buffer is a header followed by exactly the announced name and body.
bool decode_request(std::span<const std::byte> message, RequestHeader& header,
                    std::string_view& name, std::string_view& body);
bool decode_reply(std::span<const std::byte> message, ReplyHeader& header, std::string_view& text);

// The parameter table as text bytes (in status replies and start-up checks).
std::string encode_params(std::span<const std::unique_ptr<ParamEntry>> params);
bool decode_params(std::string_view bytes, std::vector<ParamEntry>& params);

// A status reply: the parameter table, every stream's name, shape and exposure, then
// what the simulation waits on (empty if nothing).
std::string encode_status(std::span<const std::unique_ptr<ParamEntry>> params,
                          std::span<const std::unique_ptr<SteeredStream>> streams,
                          std::string_view waiting = {});
bool decode_status(std::string_view bytes, std::vector<ParamEntry>& params,
                   std::vector<SteeredStream>& streams, std::string* waiting = nullptr);

std::string encode_control(const StreamControl& control);
bool decode_control(std::string_view bytes, StreamControl& control);

// The dtype's name, the region, then the raw elements.
std::string encode_injection(std::string_view dtype, const Box& region,
                             std::span<const std::byte> data);
bool decode_injection(std::string_view bytes, std::string& dtype, Box& region,
                      std::string_view& data);

}  // namespace sluice::steer::detail
