#pragma once
// Private: the messages between Directory clients and Scheduler processes.
//
// A message is one MPI_BYTE buffer: a fixed Header, then the key, then the value.
// Requests go to the scheduler that owns the key under the sender's ring epoch; a
// scheduler that does not own it (the sender routed with another epoch) forwards the
// message unchanged, and whoever owns it replies straight to the requester.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ring/scheduler.hpp"

namespace sluice::ring::detail {

enum class Kind : std::int32_t {
  put = 1,
  get = 2,
  stop = 3,
  ok = 10,
  not_found = 11,
  rejected = 12,  // the value holds the reason
};

struct Header {
  Kind kind;
  std::int32_t requester;  // world rank the reply goes to
  std::uint64_t epoch;     // of the ring the sender routed with
  std::uint32_t key_bytes;
  std::uint32_t value_bytes;
};

inline std::vector<std::byte> encode(Kind kind, int requester, std::uint64_t epoch,
                                     std::string_view key, std::string_view value) {
  const Header header{kind, requester, epoch, static_cast<std::uint32_t>(key.size()),
                      static_cast<std::uint32_t>(value.size())};
  std::vector<std::byte> message(sizeof(Header) + key.size() + value.size());
  std::memcpy(message.data(), &header, sizeof(Header));
  // An empty view may hold a null pointer, which memcpy must not get even for 0 bytes.
  if (!key.empty()) {
    std::memcpy(message.data() + sizeof(Header), key.data(), key.size());
  }
  if (!value.empty()) {
    std::memcpy(message.data() + sizeof(Header) + key.size(), value.data(), value.size());
  }
  return message;
}

struct Decoded {
  Header header{};
  std::string_view key;
  std::string_view value;
};

// Checks a received buffer; returns an empty string if it is a well-formed message.
inline std::string decode(const std::vector<std::byte>& message, Decoded& out) {
  if (message.size() < sizeof(Header)) {
    return "a message of " + std::to_string(message.size()) + " bytes is shorter than a header";
  }
  std::memcpy(&out.header, message.data(), sizeof(Header));
  const std::size_t expected = sizeof(Header) + out.header.key_bytes + out.header.value_bytes;
  if (expected != message.size()) {
    return "the header announces " + std::to_string(expected) + " bytes, the message has " +
           std::to_string(message.size());
  }
  if (out.header.key_bytes > max_key_bytes || out.header.value_bytes > max_value_bytes) {
    return "the key or value is larger than the limits (" + std::to_string(max_key_bytes) +
           " and " + std::to_string(max_value_bytes) + " bytes)";
  }
  const auto* text = reinterpret_cast<const char*>(message.data() + sizeof(Header));
  out.key = std::string_view(text, out.header.key_bytes);
  out.value = std::string_view(text + out.header.key_bytes, out.header.value_bytes);
  return {};
}

}  // namespace sluice::ring::detail
