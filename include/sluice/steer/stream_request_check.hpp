#pragma once
/// @file
/// The one validator of steering requests on streams (exposure changes and
/// injections), shared by the simulation's Agent, which decides, and the Thrift
/// steering server, which refuses a wrong request early (before an injection's data
/// is sent). Both therefore refuse the same requests with the same Code and message.
///
/// @code
/// using namespace sluice::steer;
/// StreamControl change;
/// change.every = 0;
/// const Verdict verdict = check_control(stream, change);  // out_of_range: 'every' ...
/// @endcode
///
/// Every function is local, pure and thread-safe.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/steer/response.hpp"
#include "sluice/steer/stream_control.hpp"

namespace sluice::steer {

/// The refusal of a request naming a stream that is not among `known`:
/// unknown_name, "no stream 'x'; streams: a, b" (or "none").
[[nodiscard]] Verdict unknown_stream(std::string_view name, std::span<const std::string> known);

/// Whether `control` may change `stream`'s exposure: `every` in [1, max_every]
/// (out_of_range), a region inside the array (bad_region).
[[nodiscard]] Verdict check_control(const SteeredStream& stream, const StreamControl& control);

/// Whether an injection of `dtype` elements over `region` (a box or the whole-array
/// marker) fits `stream`: the stream's dtype (wrong_type), a region inside the array
/// (bad_region), at most max_injection_bytes (bad_request) and, when the data is
/// known, exactly the region's bytes (bad_request). Whether the simulation takes
/// injections into the stream at all is the simulation's to say (ExposureTable).
[[nodiscard]] Verdict check_injection(const SteeredStream& stream, std::string_view dtype,
                                      const Box& region,
                                      std::optional<std::size_t> data_bytes = std::nullopt);

/// Whether the data of an injection into the stream `stream` may be written into the
/// simulation's array: out_of_range at the first element of a floating-point `dtype`
/// that is NaN or infinite, naming it, since one such value spreads through a field
/// and nothing undoes it. A caller that means to inject them skips this check
/// (`allow_nonfinite` in the steering IDL, `sluice-steer inject --allow-nonfinite`).
/// Integer dtypes are always accepted.
[[nodiscard]] Verdict check_injection_values(std::string_view stream, Dtype dtype,
                                             std::span<const std::byte> data);

/// Bytes of an injection over `region` (resolved) of `stream`.
[[nodiscard]] std::size_t injection_bytes(const SteeredStream& stream, const Box& region);

}  // namespace sluice::steer
