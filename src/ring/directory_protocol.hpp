#pragma once
// Private: the messages between Directory clients and Scheduler processes, and between
// schedulers during a membership change.
//
// A message is one MPI_BYTE buffer on directory_request_tag (or directory_reply_tag for
// replies to clients): a fixed Header, then the key, then the value.
//
// Epochs. Every message carries the epoch of the ring it was routed under
// (route_epoch). A scheduler that is behind that epoch keeps the message until it has
// caught up; one that is ahead, or that does not own the key, forwards the message to
// the owner under its own ring, restamped with its epoch. Requests also carry the
// client's epoch unchanged (client_epoch): a reply to a client that is behind holds the
// current members, so clients learn membership changes from ordinary replies.
//
// Ordering. Everything a scheduler sends another scheduler travels on one tag, so MPI's
// non-overtaking rule delivers a key's transfer before any request forwarded after it.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ring/scheduler.hpp"

namespace sluice::ring::detail {

enum class Kind : std::int32_t {
  // client -> owner of the key (for stream, of the stream's name)
  put = 1,
  get = 2,
  stream = 9,
  // client -> every scheduler
  stop = 3,
  // client -> coordinator; the key holds the member's world rank in decimal
  join = 4,
  leave = 5,
  // coordinator -> every scheduler: the value holds the new members (int32 each)
  prepare = 6,
  // old member -> new member: the value holds the moved keys (see encode_entries)
  transfer = 7,
  // scheduler -> coordinator: the new epoch is active here
  ready = 8,
  // replies; the key holds the members when the client is behind
  ok = 10,
  not_found = 11,
  rejected = 12,  // the value holds the reason
};

struct Header {
  Kind kind = Kind::rejected;
  std::int32_t requester = -1;     // world rank the reply goes to (the sender for internal kinds)
  std::uint64_t route_epoch = 0;   // of the ring the last sender routed with
  std::uint64_t client_epoch = 0;  // of the client's ring, unchanged by forwarding
  std::uint32_t key_bytes = 0;     // set by encode()
  std::uint32_t value_bytes = 0;   // set by encode()
};

[[nodiscard]] inline bool is_internal(Kind kind) {
  return kind == Kind::prepare || kind == Kind::transfer || kind == Kind::ready;
}

inline std::vector<std::byte> encode(const Header& fields, std::string_view key,
                                     std::string_view value) {
  Header header = fields;
  header.key_bytes = static_cast<std::uint32_t>(key.size());
  header.value_bytes = static_cast<std::uint32_t>(value.size());
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
// Client requests are held to max_key_bytes and max_value_bytes; messages between
// schedulers and replies (member lists, transfers of many keys) are not.
inline std::string decode(std::span<const std::byte> message, Decoded& out) {
  if (message.size() < sizeof(Header)) {
    return "a message of " + std::to_string(message.size()) + " bytes is shorter than a header";
  }
  std::memcpy(&out.header, message.data(), sizeof(Header));
  const std::size_t expected =
      sizeof(Header) + std::size_t{out.header.key_bytes} + out.header.value_bytes;
  if (expected != message.size()) {
    return "the header announces " + std::to_string(expected) + " bytes, the message has " +
           std::to_string(message.size());
  }
  const Kind kind = out.header.kind;
  const bool client_request = kind == Kind::put || kind == Kind::get || kind == Kind::stream;
  if (client_request &&
      (out.header.key_bytes > max_key_bytes || out.header.value_bytes > max_value_bytes)) {
    return "the key or value is larger than the limits (" + std::to_string(max_key_bytes) +
           " and " + std::to_string(max_value_bytes) + " bytes)";
  }
  const auto* text = reinterpret_cast<const char*>(message.data() + sizeof(Header));
  out.key = std::string_view(text, out.header.key_bytes);
  out.value = std::string_view(text + out.header.key_bytes, out.header.value_bytes);
  return {};
}

// Members travel as int32 world ranks, in ascending order.
inline std::string encode_members(std::span<const MemberId> members) {
  std::string bytes(members.size() * sizeof(std::int32_t), '\0');
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto member = static_cast<std::int32_t>(members[i]);
    std::memcpy(bytes.data() + i * sizeof(member), &member, sizeof(member));
  }
  return bytes;
}

// Returns false if the bytes are not a list of valid member ids.
inline bool decode_members(std::string_view bytes, std::vector<MemberId>& members) {
  if (bytes.size() % sizeof(std::int32_t) != 0) {
    return false;
  }
  members.resize(bytes.size() / sizeof(std::int32_t));
  for (std::size_t i = 0; i < members.size(); ++i) {
    std::int32_t member = 0;
    std::memcpy(&member, bytes.data() + i * sizeof(member), sizeof(member));
    if (member < 0) {
      return false;
    }
    members[i] = member;
  }
  return true;
}

// Moved keys travel as [u32 key bytes][u32 value bytes][key][value], repeated.
inline void append_entry(std::string& bytes, std::string_view key, std::string_view value) {
  const std::uint32_t sizes[2] = {static_cast<std::uint32_t>(key.size()),
                                  static_cast<std::uint32_t>(value.size())};
  bytes.append(reinterpret_cast<const char*>(sizes), sizeof(sizes));
  bytes.append(key);
  bytes.append(value);
}

// Calls visit(key, value) for each entry; returns false if the bytes are malformed
// (entries before the malformed one have been visited).
template <typename Visit>
bool for_each_entry(std::string_view bytes, Visit&& visit) {
  while (!bytes.empty()) {
    std::uint32_t sizes[2] = {0, 0};
    if (bytes.size() < sizeof(sizes)) {
      return false;
    }
    std::memcpy(sizes, bytes.data(), sizeof(sizes));
    bytes.remove_prefix(sizeof(sizes));
    if (bytes.size() < std::size_t{sizes[0]} + sizes[1]) {
      return false;
    }
    visit(bytes.substr(0, sizes[0]), bytes.substr(sizes[0], sizes[1]));
    bytes.remove_prefix(std::size_t{sizes[0]} + sizes[1]);
  }
  return true;
}

}  // namespace sluice::ring::detail
