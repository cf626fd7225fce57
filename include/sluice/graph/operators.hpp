#pragma once
/// @file
/// User operators: elementwise maps and reductions a graph names (graph::map,
/// graph::reduce), registered in the process that runs the graph and looked up when
/// the graph is compiled (an unknown name is a compile error).
///
/// A map is called on runs of consecutive elements of a chunk (up to a few thousand at
/// a time), in double; it must write one output per input and may throw (the
/// iteration of the graph fails, is reported with the message, and the graph goes on).
/// A reduction maps a run to a partial (a small array of fixed length) and combines
/// two partials; combine must be associative and commutative, since partials are
/// combined in an order that depends on how the stream is split in blocks.
///
/// @code
/// sluice::graph::register_map("celsius", [](std::span<const double> in, std::span<double> out) {
///   for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[i] - 273.15;
/// });
/// sluice::graph::register_reduction("sum_of_squares", {
///     .length = 1,
///     .map = [](std::span<const double> in, std::span<double> partial) {
///       for (double x : in) partial[0] += x * x; },       // partial starts at identity
///     .combine = [](std::span<const double> other, std::span<double> into) {
///       into[0] += other[0]; },
///     .identity = 0.0});
/// auto energy = reduce("sum_of_squares", T);
/// @endcode
///
/// Registration is thread-safe; register before compiling a graph that names the
/// operator. Names are unique (InvalidArgument for a second registration).

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::graph {

using MapFunction = std::function<void(std::span<const double> in, std::span<double> out)>;

struct ReductionFunctions {
  std::size_t length = 1;  ///< elements of a partial and of the result (1: a scalar)
  /// Adds a run of elements to `partial`.
  std::function<void(std::span<const double> in, std::span<double> partial)> map;
  /// Adds `other` into `into`.
  std::function<void(std::span<const double> other, std::span<double> into)> combine;
  double identity = 0.0;  ///< what a partial starts from, every element
};

void register_map(std::string_view name, MapFunction function);
void register_reduction(std::string_view name, ReductionFunctions functions);

/// The registered operators, for the compiler. Empty if there is none of that name.
[[nodiscard]] std::optional<MapFunction> find_map(std::string_view name);
[[nodiscard]] std::optional<ReductionFunctions> find_reduction(std::string_view name);
/// Every registered name, sorted (for error messages).
[[nodiscard]] std::vector<std::string> operator_names();

}  // namespace sluice::graph
