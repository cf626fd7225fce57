#include "sluice/steer/exposure_table.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "../core/box_copy.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/steer/stream_request_check.hpp"

namespace sluice::steer {

namespace {

// The part of `region` (raw row-major `data`, resolved) inside this rank's block of
// `stream`, as an injection of that box; nullopt if they do not meet.
std::optional<Injection> own_part(const SteeredStream& stream, const Box& region,
                                  std::span<const std::byte> data) {
  if (stream.block.rank() != stream.shape.size()) {
    return std::nullopt;  // a stream without a block here (not exposed by a Bridge)
  }
  Injection part;
  part.region = region.intersect(stream.block);
  if (part.region.empty()) {
    return std::nullopt;
  }
  const std::size_t element = dtype_size(stream.dtype);
  const std::size_t dims = region.rank();
  Extents in_region(dims);
  for (std::size_t d = 0; d < dims; ++d) {
    in_region[d] = part.region.start[d] - region.start[d];
  }
  part.data.resize(static_cast<std::size_t>(part.region.elements()) * element);
  sluice::detail::copy_box(part.data.data(), part.region.count, Extents(dims, 0), data.data(),
                           region.count, in_region, part.region.count, element);
  return part;
}

}  // namespace

SteeredStream& ExposureTable::add(std::string_view name, Dtype dtype, Extents shape) {
  if (find(name) != nullptr) {
    throw InvalidArgument("registering stream '" + std::string(name) + "' for steering",
                          "a stream of that name is already registered");
  }
  auto stream = std::make_unique<SteeredStream>();
  stream->name = std::string(name);
  stream->dtype = dtype;
  stream->shape = std::move(shape);
  stream->exposure.region = Box::all(stream->shape);
  m_streams.push_back(std::move(stream));
  return *m_streams.back();
}

SteeredStream* ExposureTable::find(std::string_view name) const noexcept {
  const auto found = std::find_if(m_streams.begin(), m_streams.end(),
                                  [&](const auto& stream) { return stream->name == name; });
  return found == m_streams.end() ? nullptr : found->get();
}

std::vector<std::string> ExposureTable::names() const {
  std::vector<std::string> names;
  names.reserve(m_streams.size());
  for (const auto& stream : m_streams) {
    names.push_back(stream->name);
  }
  return names;
}

SteeredStream& ExposureTable::require(std::string_view name) const {
  SteeredStream* stream = find(name);
  if (stream == nullptr) {
    throw InvalidArgument("steering stream '" + std::string(name) + "'",
                          unknown_stream(name, names()).message);
  }
  return *stream;
}

Verdict ExposureTable::check_control(std::string_view name, const StreamControl& control) const {
  const SteeredStream* stream = find(name);
  if (stream == nullptr) {
    return unknown_stream(name, names());
  }
  return steer::check_control(*stream, control);
}

Verdict ExposureTable::check_injection(std::string_view name, std::string_view dtype,
                                       const Box& region, std::size_t data_bytes) const {
  const SteeredStream* stream = find(name);
  if (stream == nullptr) {
    return unknown_stream(name, names());
  }
  if (!stream->injectable) {
    return {Code::not_permitted, "the simulation does not take injections into stream '" +
                                     stream->name + "' (Channel::accept_injections)"};
  }
  return steer::check_injection(*stream, dtype, region, data_bytes);
}

const SteeredStream& ExposureTable::apply_control(std::string_view name,
                                                  const StreamControl& control,
                                                  std::int64_t from_iteration) {
  SteeredStream& stream = require(name);
  Exposure& e = stream.exposure;
  e.enabled = control.enabled.value_or(e.enabled);
  if (control.every) {
    e.every = *control.every;
    e.phase = from_iteration;
  }
  if (control.region) {
    e.region = control.region->resolved(stream.shape);
  }
  e.since_iteration = from_iteration;
  return stream;
}

const SteeredStream& ExposureTable::apply_injection(std::string_view name, const Box& region,
                                                    std::span<const std::byte> data,
                                                    std::int64_t for_iteration) {
  SteeredStream& stream = require(name);
  if (auto mine = own_part(stream, region.resolved(stream.shape), data)) {
    mine->iteration = for_iteration;
    stream.injections.push_back(std::move(*mine));
  }
  return stream;
}

void ExposureTable::warn_untaken(std::int64_t iteration) {
  for (const auto& stream : m_streams) {
    if (!stream->injections.empty() && stream->injections.front().iteration <= iteration &&
        !stream->warned_untaken) {
      stream->warned_untaken = true;
      log::warn("stream '", stream->name, "': an injection for iteration ",
                stream->injections.front().iteration,
                " was not applied; call apply_injections() on the stream's array in every "
                "iteration after accepting injections");
    }
  }
}

}  // namespace sluice::steer
