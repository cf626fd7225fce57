#pragma once
/// @file
/// Line-oriented logging to stderr, filtered by level.
///
/// The level comes from the environment variable `SLUICE_LOG` (`error`, `warn`,
/// `info`, `debug`; default `warn`), read once on first use. Every line is prefixed
/// with the process's role and rank once sluice::Runtime has started, so that the
/// interleaved output of an MPMD job stays readable:
///
///     [sluice simulation 3] warn: stream 'T': reader on rank 5 lags 4 iterations
///
/// @code
/// sluice::log::info("pulled ", bytes, " bytes from ", blocks, " blocks");
/// @endcode
///
/// All functions are thread-safe: a line is written with a single write(2), so lines
/// from several threads never interleave within a line. Arguments are formatted only
/// when their level is enabled.

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace sluice::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

/// Parses a level name as accepted in SLUICE_LOG; std::nullopt if unknown.
[[nodiscard]] std::optional<Level> parse_level(std::string_view name) noexcept;

/// The name of a level, as accepted by parse_level.
[[nodiscard]] std::string_view level_name(Level level) noexcept;

/// The current threshold: messages above it are dropped.
[[nodiscard]] Level threshold() noexcept;

/// Overrides the threshold read from SLUICE_LOG (tests, programs with a --verbose flag).
void set_threshold(Level level) noexcept;

/// Sets the "<role> <rank>" prefix of every following line. Called by sluice::Runtime.
void set_identity(std::string_view role, int rank);

/// The current prefix, e.g. "[sluice simulation 3]".
[[nodiscard]] std::string prefix();

/// True if a message at `level` would be written.
[[nodiscard]] inline bool enabled(Level level) noexcept { return level <= threshold(); }

/// Writes one already formatted line at `level` (no trailing newline needed).
void write(Level level, std::string_view message);

namespace detail {
template <typename... Args>
void emit(Level level, const Args&... args) {
  if (!enabled(level)) {
    return;
  }
  std::ostringstream line;
  (line << ... << args);
  write(level, line.str());
}
}  // namespace detail

template <typename... Args>
void error(const Args&... args) {
  detail::emit(Level::error, args...);
}
template <typename... Args>
void warn(const Args&... args) {
  detail::emit(Level::warn, args...);
}
template <typename... Args>
void info(const Args&... args) {
  detail::emit(Level::info, args...);
}
template <typename... Args>
void debug(const Args&... args) {
  detail::emit(Level::debug, args...);
}

}  // namespace sluice::log
