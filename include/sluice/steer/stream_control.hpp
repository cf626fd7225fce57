#pragma once
/// @file
/// What steering can change about a stream: whether it is published, how often, which
/// region of it readers see; and the data it injects into a simulation array.
///
/// A stream's Exposure changes only inside Bridge::end_iteration(k), at the same
/// iteration on every simulation rank, and holds from k + 1. The Channel consults it
/// at each publish: an iteration that is not exposed is computed in a scratch buffer
/// and never reaches readers (counted as withheld); a narrowed region makes publish()
/// copy only that region, and readers get the part of their selection inside it.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"

namespace sluice::steer {

/// What a stream publishes.
struct Exposure {
  bool enabled = true;
  /// Publish iteration k only when (k - phase) % every == 0.
  std::int64_t every = 1;
  std::int64_t phase = 0;
  /// What readers see (their selection is clipped to it): a box of the array, the
  /// whole array unless steering narrowed it.
  Box region;
  /// The iteration from which this exposure holds (0: as exposed).
  std::int64_t since_iteration = 0;

  [[nodiscard]] bool publishes(std::int64_t iteration) const noexcept {
    return enabled && (iteration - phase) % every == 0;
  }
};

/// A change to a stream's exposure: the fields that are set change, the others keep
/// their value. Setting `every` restarts its count at the iteration the change holds.
struct StreamControl {
  std::optional<bool> enabled;
  std::optional<std::int64_t> every;
  /// A box, or Box's whole-array marker ("all").
  std::optional<Box> region;
};

inline constexpr std::int64_t max_every = 1'000'000'000;

/// The largest injection one request may carry (each is broadcast to every
/// simulation rank whole).
inline constexpr std::size_t max_injection_bytes = std::size_t{256} << 20;

/// Data for a region of a stream's simulation array, raw elements of the stream's
/// dtype, row-major over the region (native byte order).
struct Injection {
  Box region;  ///< resolved: never the whole-array marker
  std::vector<std::byte> data;
  /// The iteration whose field gets it (agreed by every rank).
  std::int64_t iteration = -1;
};

/// The steering side of one exposed stream, as every simulation rank and every client
/// knows it.
struct SteeredStream {
  std::string name;
  Dtype dtype = Dtype::f64;
  Extents shape;
  /// This rank's block (simulation ranks only; a zero count: it owns nothing). Each
  /// rank keeps only the part of an injection that falls in it.
  Box block;
  /// Whether the simulation applies injections to this stream's array
  /// (Channel::accept_injections).
  bool injectable = false;
  Exposure exposure;
  /// Accepted injections the simulation has not applied yet, cut down to this rank's
  /// block (simulation ranks only).
  std::deque<Injection> injections;
  bool warned_untaken = false;  // the simulation was told it forgot to apply one
};

}  // namespace sluice::steer
