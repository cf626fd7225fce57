#pragma once
/// @file
/// sluice::steer::ExposureTable: the streams a simulation exposed to steering, their
/// exposure (on/off, every n-th iteration, region) and the injections waiting to be
/// applied to their arrays, cut to this rank's block.
///
/// Requests are checked with the shared validator (stream_request_check.hpp) plus what
/// only the simulation knows (whether it takes injections into a stream), once, on
/// simulation rank 0; every rank then applies the accepted ones at the same
/// iteration.
///
/// @code
/// sluice::steer::ExposureTable table;
/// SteeredStream& field = table.add("T", Dtype::f64, {64, 64});  // address stable
/// StreamControl change;
/// change.every = 2;
/// if (table.check_control("T", change).ok()) { table.apply_control("T", change, 10); }
/// @endcode
///
/// Local; not thread-safe (the simulation's thread owns it).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/steer/response.hpp"
#include "sluice/steer/stream_control.hpp"

namespace sluice::steer {

class ExposureTable {
 public:
  /// Registers a stream, exposed whole. The entry's address is stable (a Channel
  /// keeps it). InvalidArgument for a name already registered.
  SteeredStream& add(std::string_view name, Dtype dtype, Extents shape);

  /// The stream of that name, or nullptr.
  [[nodiscard]] SteeredStream* find(std::string_view name) const noexcept;
  /// The registered streams' names, in registration order.
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] std::span<const std::unique_ptr<SteeredStream>> streams() const noexcept {
    return m_streams;
  }

  /// Whether `control` may change stream `name`: unknown_name, then check_control.
  [[nodiscard]] Verdict check_control(std::string_view name, const StreamControl& control) const;
  /// Whether an injection into stream `name` may be applied: unknown_name,
  /// not_permitted (the simulation does not take injections into it), then
  /// check_injection with `data_bytes`.
  [[nodiscard]] Verdict check_injection(std::string_view name, std::string_view dtype,
                                        const Box& region, std::size_t data_bytes) const;

  /// Applies a change that check_control accepted; it holds from `from_iteration`
  /// (setting `every` restarts its count there).
  const SteeredStream& apply_control(std::string_view name, const StreamControl& control,
                                     std::int64_t from_iteration);
  /// Keeps the part of an accepted injection (raw row-major `data` over `region`)
  /// that falls in this rank's block, for the simulation to apply at
  /// `for_iteration`: a large injection is not held whole by every rank.
  const SteeredStream& apply_injection(std::string_view name, const Box& region,
                                       std::span<const std::byte> data, std::int64_t for_iteration);

  /// Warns once per stream whose oldest injection was due at or before `iteration`
  /// and was not applied (the simulation forgot apply_injections()).
  void warn_untaken(std::int64_t iteration);

 private:
  SteeredStream& require(std::string_view name) const;

  std::vector<std::unique_ptr<SteeredStream>> m_streams;
};

}  // namespace sluice::steer
