#include "protocol.hpp"

#include "../core/bytes.hpp"

namespace sluice::steer::detail {

namespace {

using sluice::detail::ByteReader;
using sluice::detail::put_bytes;
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

}  // namespace

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

}  // namespace sluice::steer::detail
