#include "protocol.hpp"

#include "../core/bytes.hpp"

namespace sluice::steer::detail {

namespace {

using sluice::detail::ByteReader;
using sluice::detail::put_bytes;
using sluice::detail::put_extents;
using sluice::detail::put_text;

void put_value(std::string& out, const std::optional<Value>& value) {
  put_bytes(out, static_cast<std::uint8_t>(value ? type_of(*value) : ValueType{}));
  put_bytes(out, value ? value_bits(*value) : std::uint64_t{0});
}

bool get_value(ByteReader& in, std::optional<Value>& value) {
  std::uint8_t type = 0;
  std::uint64_t bits = 0;
  if (!in.get(type) || !in.get(bits)) {
    return false;
  }
  if (type == 0) {
    value.reset();
    return true;
  }
  value = value_from_bits(static_cast<ValueType>(type), bits);
  return value.has_value();
}

bool get_extents(ByteReader& in, std::vector<std::int64_t>& extents) {
  return sluice::detail::get_extents(in, extents, 8);
}

void put_region(std::string& out, const Box& region) {
  put_extents(out, region.start);
  put_extents(out, region.count);
}

bool get_region(ByteReader& in, Box& region) {
  return get_extents(in, region.start) && get_extents(in, region.count);
}

template <typename Header>
std::vector<std::byte> assemble(const Header& header, std::string_view first,
                                std::string_view second) {
  std::vector<std::byte> message(sizeof(Header) + first.size() + second.size());
  std::memcpy(message.data(), &header, sizeof(Header));
  // An empty view may hold a null pointer, which memcpy must not be given.
  if (!first.empty()) {
    std::memcpy(message.data() + sizeof(Header), first.data(), first.size());
  }
  if (!second.empty()) {
    std::memcpy(message.data() + sizeof(Header) + first.size(), second.data(), second.size());
  }
  return message;
}

std::string_view bytes_at(std::span<const std::byte> message, std::size_t offset,
                          std::size_t size) {
  return {reinterpret_cast<const char*>(message.data()) + offset, size};
}

}  // namespace

std::vector<std::byte> encode_request(const RequestHeader& fields, std::string_view name,
                                      std::string_view body) {
  RequestHeader header = fields;
  header.name_bytes = static_cast<std::uint32_t>(name.size());
  header.body_bytes = body.size();
  return assemble(header, name, body);
}

std::vector<std::byte> encode_reply(const ReplyHeader& fields, std::string_view text) {
  ReplyHeader header = fields;
  header.text_bytes = static_cast<std::uint32_t>(text.size());
  return assemble(header, text, {});
}

bool decode_request(std::span<const std::byte> message, RequestHeader& header,
                    std::string_view& name, std::string_view& body) {
  if (message.size() < sizeof(header)) {
    return false;
  }
  std::memcpy(&header, message.data(), sizeof(header));
  const std::size_t rest = message.size() - sizeof(header);
  if (header.name_bytes > rest || header.body_bytes != rest - header.name_bytes) {
    return false;
  }
  name = bytes_at(message, sizeof(header), header.name_bytes);
  body = bytes_at(message, sizeof(header) + header.name_bytes, header.body_bytes);
  return true;
}

bool decode_reply(std::span<const std::byte> message, ReplyHeader& header, std::string_view& text) {
  if (message.size() < sizeof(header)) {
    return false;
  }
  std::memcpy(&header, message.data(), sizeof(header));
  if (message.size() - sizeof(header) != header.text_bytes) {
    return false;
  }
  text = bytes_at(message, sizeof(header), header.text_bytes);
  return true;
}

std::string encode_params(std::span<const std::unique_ptr<ParamEntry>> params) {
  std::string out;
  put_bytes(out, static_cast<std::uint32_t>(params.size()));
  for (const auto& entry : params) {
    put_text(out, entry->name);
    put_value(out, entry->value);
    put_value(out, entry->min);
    put_value(out, entry->max);
    put_text(out, entry->doc);
    put_bytes(out, entry->since_iteration);
  }
  return out;
}

bool decode_params(std::string_view bytes, std::vector<ParamEntry>& params) {
  ByteReader in(bytes);
  std::uint32_t count = 0;
  // Each entry takes at least 4 + 9 + 9 + 9 + 4 + 8 bytes.
  if (!in.get_count(count, 43)) {
    return false;
  }
  params.assign(count, ParamEntry{});
  for (auto& entry : params) {
    std::optional<Value> value;
    if (!in.get_text(entry.name) || !get_value(in, value) || !value || !get_value(in, entry.min) ||
        !get_value(in, entry.max) || !in.get_text(entry.doc) || !in.get(entry.since_iteration)) {
      return false;
    }
    entry.value = *value;
    entry.type = type_of(*value);
  }
  return in.at_end();
}

std::string encode_status(std::span<const std::unique_ptr<ParamEntry>> params,
                          std::span<const std::unique_ptr<SteeredStream>> streams,
                          std::string_view waiting) {
  std::string out;
  put_text(out, encode_params(params));
  put_bytes(out, static_cast<std::uint32_t>(streams.size()));
  for (const auto& stream : streams) {
    put_text(out, stream->name);
    put_text(out, dtype_name(stream->dtype));
    put_extents(out, stream->shape);
    put_bytes(out, static_cast<std::uint8_t>(stream->injectable ? 1 : 0));
    const Exposure& e = stream->exposure;
    put_bytes(out, static_cast<std::uint8_t>(e.enabled ? 1 : 0));
    put_bytes(out, e.every);
    put_bytes(out, e.phase);
    put_region(out, e.region);
    put_bytes(out, e.since_iteration);
  }
  put_text(out, waiting);
  return out;
}

bool decode_status(std::string_view bytes, std::vector<ParamEntry>& params,
                   std::vector<SteeredStream>& streams, std::string* waiting) {
  ByteReader in(bytes);
  std::string table;
  std::uint32_t count = 0;
  // Each stream takes at least 4 + 4 + 4 + 1 + 1 + 8 + 8 + 8 + 8 bytes.
  if (!in.get_text(table) || !decode_params(table, params) || !in.get_count(count, 46)) {
    return false;
  }
  streams.assign(count, SteeredStream{});
  for (auto& stream : streams) {
    std::string dtype;
    std::uint8_t injectable = 0;
    std::uint8_t enabled = 0;
    Exposure& e = stream.exposure;
    if (!in.get_text(stream.name) || !in.get_text(dtype) || !get_extents(in, stream.shape) ||
        !in.get(injectable) || !in.get(enabled) || !in.get(e.every) || !in.get(e.phase) ||
        !get_region(in, e.region) || !in.get(e.since_iteration)) {
      return false;
    }
    const auto parsed = parse_dtype(dtype);
    if (!parsed) {
      return false;
    }
    stream.dtype = *parsed;
    stream.injectable = injectable != 0;
    e.enabled = enabled != 0;
  }
  std::string waits;
  if (!in.get_text(waits)) {
    return false;
  }
  if (waiting != nullptr) {
    *waiting = std::move(waits);
  }
  return in.at_end();
}

std::string encode_control(const StreamControl& control) {
  std::string out;
  put_bytes(out, static_cast<std::uint8_t>(control.enabled ? 1 : 0));
  put_bytes(out, static_cast<std::uint8_t>(control.enabled.value_or(false) ? 1 : 0));
  put_bytes(out, static_cast<std::uint8_t>(control.every ? 1 : 0));
  put_bytes(out, control.every.value_or(0));
  put_bytes(out, static_cast<std::uint8_t>(control.region ? 1 : 0));
  put_region(out, control.region.value_or(Box{}));
  return out;
}

bool decode_control(std::string_view bytes, StreamControl& control) {
  ByteReader in(bytes);
  std::uint8_t has_enabled = 0;
  std::uint8_t enabled = 0;
  std::uint8_t has_every = 0;
  std::int64_t every = 0;
  std::uint8_t has_region = 0;
  Box region;
  if (!in.get(has_enabled) || !in.get(enabled) || !in.get(has_every) || !in.get(every) ||
      !in.get(has_region) || !get_region(in, region) || !in.at_end()) {
    return false;
  }
  control = StreamControl{};
  if (has_enabled != 0) {
    control.enabled = enabled != 0;
  }
  if (has_every != 0) {
    control.every = every;
  }
  if (has_region != 0) {
    control.region = std::move(region);
  }
  return true;
}

std::string encode_injection(std::string_view dtype, const Box& region,
                             std::span<const std::byte> data) {
  std::string out;
  put_text(out, dtype);
  put_region(out, region);
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

bool decode_injection(std::string_view bytes, std::string& dtype, Box& region,
                      std::string_view& data) {
  ByteReader in(bytes);
  if (!in.get_text(dtype) || !get_region(in, region)) {
    return false;
  }
  data = in.rest();
  return true;
}

}  // namespace sluice::steer::detail
