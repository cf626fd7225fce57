#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "sluice/core/log.hpp"

namespace log = sluice::log;

// Criterion runs each test in a fresh process, so the level is read from the
// environment anew in each test that sets SLUICE_LOG before the first log call.

Test(log, levels_parse_from_their_names) {
  cr_assert_eq(log::parse_level("error").value(), log::Level::error);
  cr_assert_eq(log::parse_level("warn").value(), log::Level::warn);
  cr_assert_eq(log::parse_level("warning").value(), log::Level::warn);
  cr_assert_eq(log::parse_level("info").value(), log::Level::info);
  cr_assert_eq(log::parse_level("debug").value(), log::Level::debug);
  cr_assert_not(log::parse_level("DEBUG").has_value());
  cr_assert_not(log::parse_level("").has_value());
  cr_assert_not(log::parse_level("verbose").has_value());
}

Test(log, default_threshold_is_warn) {
  unsetenv("SLUICE_LOG");
  cr_assert_eq(log::threshold(), log::Level::warn);
  cr_assert(log::enabled(log::Level::error));
  cr_assert(log::enabled(log::Level::warn));
  cr_assert_not(log::enabled(log::Level::info));
}

Test(log, threshold_comes_from_sluice_log) {
  setenv("SLUICE_LOG", "debug", 1);
  cr_assert_eq(log::threshold(), log::Level::debug);
}

Test(log, unknown_sluice_log_value_warns_and_keeps_the_default, .init = cr_redirect_stderr) {
  setenv("SLUICE_LOG", "loud", 1);
  cr_assert_eq(log::threshold(), log::Level::warn);
  std::fflush(stderr);
  cr_assert_stderr_eq_str(
      "[sluice] warn: SLUICE_LOG='loud' is not a level; use error, warn, info or debug. Using "
      "warn.\n");
}

Test(log, lines_carry_role_rank_and_level, .init = cr_redirect_stderr) {
  setenv("SLUICE_LOG", "info", 1);
  log::set_identity("simulation", 3);
  log::info("pulled ", 42, " bytes");
  log::debug("this one is filtered out");
  log::error("stream '", "T", "' closed");
  cr_assert_stderr_eq_str(
      "[sluice simulation 3] info: pulled 42 bytes\n"
      "[sluice simulation 3] error: stream 'T' closed\n");
}

Test(log, set_threshold_overrides_the_environment, .init = cr_redirect_stderr) {
  setenv("SLUICE_LOG", "error", 1);
  log::set_threshold(log::Level::debug);
  log::debug("visible");
  cr_assert_stderr_eq_str("[sluice] debug: visible\n");
}

// operator<< is only reached if a line is formatted.
struct FormattingProbe {
  int* count;
};
std::ostream& operator<<(std::ostream& out, const FormattingProbe& probe) {
  ++*probe.count;
  return out;
}

Test(log, filtered_messages_do_not_format_their_arguments, .init = cr_redirect_stderr) {
  int formatted = 0;
  log::set_threshold(log::Level::info);
  log::debug(FormattingProbe{&formatted});
  cr_assert_eq(formatted, 0);
  log::info(FormattingProbe{&formatted});
  cr_assert_eq(formatted, 1);
}
