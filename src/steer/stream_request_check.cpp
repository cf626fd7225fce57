#include "sluice/steer/stream_request_check.hpp"

#include "sluice/core/dtype.hpp"

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

}  // namespace sluice::steer
