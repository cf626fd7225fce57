#pragma once
// Private: the messages between a steering service process (Link) and simulation rank
// 0 (Agent), and the batches rank 0 broadcasts to the other simulation ranks.
//
// Requests and replies are single MPI_BYTE messages on Runtime::world(): a fixed
// header, then a name or text. Every field is read with bounds checks: a service
// process passes on what remote clients sent.
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sluice/steer/link.hpp"
#include "sluice/steer/param.hpp"
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
};

struct RequestHeader {
  RequestKind kind = RequestKind::status;
  std::uint32_t name_bytes = 0;
  std::uint64_t id = 0;
  ValueType type = ValueType::f64;
  std::uint8_t padding[7] = {};
  std::uint64_t payload = 0;  // the value's bits
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

template <typename Header>
std::vector<std::byte> encode(const Header& fields, std::string_view text) {
  Header header = fields;
  if constexpr (std::is_same_v<Header, RequestHeader>) {
    header.name_bytes = static_cast<std::uint32_t>(text.size());
  } else {
    header.text_bytes = static_cast<std::uint32_t>(text.size());
  }
  std::vector<std::byte> message(sizeof(Header) + text.size());
  std::memcpy(message.data(), &header, sizeof(Header));
  if (!text.empty()) {
    std::memcpy(message.data() + sizeof(Header), text.data(), text.size());
  }
  return message;
}

// False if the buffer is not a header followed by exactly the announced text.
template <typename Header>
bool decode(std::span<const std::byte> message, Header& header, std::string_view& text) {
  if (message.size() < sizeof(Header)) {
    return false;
  }
  std::memcpy(&header, message.data(), sizeof(Header));
  std::size_t bytes = 0;
  if constexpr (std::is_same_v<Header, RequestHeader>) {
    bytes = header.name_bytes;
  } else {
    bytes = header.text_bytes;
  }
  if (message.size() != sizeof(Header) + bytes) {
    return false;
  }
  text = std::string_view(reinterpret_cast<const char*>(message.data() + sizeof(Header)), bytes);
  return true;
}

// The parameter table as text bytes (in status replies and start-up checks).
std::string encode_params(std::span<const std::unique_ptr<ParamEntry>> params);
bool decode_params(std::string_view bytes, std::vector<ParamEntry>& params);

}  // namespace sluice::steer::detail
