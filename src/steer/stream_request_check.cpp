#include "sluice/steer/stream_request_check.hpp"

#include <cmath>
#include <cstring>

#include "sluice/core/dtype.hpp"
#include "sluice/steer/value.hpp"

namespace sluice::steer {

Verdict unknown_stream(std::string_view name, std::span<const std::string> known) {
  std::string list;
  for (const auto& stream : known) {
    list += (list.empty() ? "" : ", ") + stream;
  }
  return {Code::unknown_name,
          "no stream '" + std::string(name) + "'; streams: " + (list.empty() ? "none" : list)};
}

Verdict check_control(const SteeredStream& stream, const StreamControl& control) {
  if (control.every && (*control.every < 1 || *control.every > max_every)) {
    return {Code::out_of_range, "'every' must be in [1, " + std::to_string(max_every) + "], not " +
                                    std::to_string(*control.every)};
  }
  if (control.region) {
    const Box region = control.region->resolved(stream.shape);
    if (auto problem = region.check_within(stream.shape); !problem.empty()) {
      return {Code::bad_region, "region " + control.region->describe() + " of stream '" +
                                    stream.name + "': " + problem};
    }
  }
  return {};
}

std::size_t injection_bytes(const SteeredStream& stream, const Box& region) {
  return static_cast<std::size_t>(region.elements()) * dtype_size(stream.dtype);
}

Verdict check_injection(const SteeredStream& stream, std::string_view dtype, const Box& region,
                        std::optional<std::size_t> data_bytes) {
  const std::string holds(dtype_name(stream.dtype));
  if (dtype != holds) {
    return {Code::wrong_type,
            "stream '" + stream.name + "' holds " + holds + ", not " + std::string(dtype)};
  }
  const Box box = region.resolved(stream.shape);
  if (auto problem = box.check_within(stream.shape); !problem.empty()) {
    return {Code::bad_region,
            "region " + box.describe() + " of stream '" + stream.name + "': " + problem};
  }
  const std::size_t expected = injection_bytes(stream, box);
  if (expected > max_injection_bytes) {
    return {Code::bad_request,
            "an injection carries at most " + std::to_string(max_injection_bytes >> 20) +
                " MiB; region " + box.describe() + " takes " + std::to_string(expected) + " bytes"};
  }
  if (data_bytes && *data_bytes != expected) {
    return {Code::bad_request, "region " + box.describe() + " of " + holds + " takes " +
                                   std::to_string(expected) + " bytes; " +
                                   std::to_string(*data_bytes) + " were sent"};
  }
  return {};
}

namespace {

// The index of the first element of `data` (elements of T) that is not finite.
template <typename T>
std::optional<std::size_t> first_nonfinite(std::span<const std::byte> data, T& found) {
  const std::size_t count = data.size() / sizeof(T);
  for (std::size_t i = 0; i < count; ++i) {
    std::memcpy(&found, data.data() + i * sizeof(T), sizeof(T));  // data may be unaligned
    if (!std::isfinite(found)) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

Verdict check_injection_values(std::string_view stream, Dtype dtype,
                               std::span<const std::byte> data) {
  std::optional<std::size_t> at;
  double value = 0;
  if (dtype == Dtype::f64) {
    at = first_nonfinite(data, value);
  } else if (dtype == Dtype::f32) {
    float single = 0;
    at = first_nonfinite(data, single);
    value = single;
  }
  if (!at) {
    return {};
  }
  return {Code::out_of_range,
          "an injection into '" + std::string(stream) + "' must hold finite numbers; element " +
              std::to_string(*at) + " (row-major) is " + to_string(Value{value}) +
              " (allow_nonfinite, or sluice-steer inject --allow-nonfinite, injects it anyway)"};
}

}  // namespace sluice::steer
