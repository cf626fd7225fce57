#pragma once
// What sluice's command-line tools share about their command lines (CONVENTIONS.md 16):
// CLI11 parsing where --help, of the tool or of any subcommand, prints to stdout and
// exits 0, and every usage error exits 2 with the tool's name, what is wrong and where
// the help is. Each tool documents its exit codes per error kind in its --help footer.
//
//   CLI::App app("what the tool does", "sluice-tap");
//   ... options and subcommands ...
//   if (const auto code = sluice::cli::parse_command_line(app, argc, argv)) {
//     return *code;
//   }
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace sluice::cli {

/// The exit code of every command-line tool for a command line it cannot use.
inline constexpr int usage_exit_code = 2;

/// Formats help the same way in every tool; call before adding subcommands, which
/// inherit it.
inline void use_sluice_help_style(CLI::App& app) {
  app.get_formatter()->column_width(34);
  app.set_help_flag("-h,--help", "print this help and exit");
}

/// A check of an integer option: at least `min` ("--count: takes a whole number of at
/// least 0, not '-1'"), instead of CLI11's ranges printed with their float bounds.
inline CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        long long value = 0;
        if (CLI::detail::lexical_cast(text, value) && value >= min) {
          return {};
        }
        return "takes a whole number of at least " + std::to_string(min) + ", not '" + text + "'";
      },
      "");
}

/// Parses `argv` into `app`: std::nullopt to go on, or the code to exit with (0 after
/// --help, usage_exit_code after a usage error, explained on stderr).
inline std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // the help of the command given, if any, on stdout
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string where = app.get_name();
    for (const auto* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      where += " " + sub->get_name();
    }
    std::string problem = e.what();
    // CLI11 says only "A subcommand is required" when the word given is not one.
    if (const auto words = app.remaining();
        app.get_subcommands().empty() && app.get_require_subcommand_min() > 0 && !words.empty()) {
      problem = "unknown command '" + words.front() + "'; the commands are";
      const CLI::App& defined = app;
      for (const auto* sub : defined.get_subcommands(
               [](const CLI::App* candidate) { return !candidate->get_name().empty(); })) {
        problem += " " + sub->get_name();
      }
    }
    std::fprintf(stderr, "%s: bad command line: %s\nSee '%s --help'.\n", app.get_name().c_str(),
                 problem.c_str(), where.c_str());
    return usage_exit_code;
  }
}

}  // namespace sluice::cli
