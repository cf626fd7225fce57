// sluice-steer: steer a running sluice job from a shell.
//
//   sluice-steer --port-file steer.port status
//   sluice-steer --port 9090 set dt 0.1        # prints the iteration it holds from
//   sluice-steer --port 9090 --json params
//   sluice-steer --port 9090 stream temperature every 10 region 0:128,0:512
//   sluice-steer --port 9090 inject temperature patch.npy at 10,20
//
// Exit codes per error kind: see exit_codes_help below (printed by --help).
#include <thrift/Thrift.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "command_line.hpp"
#include "npy.hpp"
#include "region_text.hpp"
#include "sluice/core/error.hpp"
#include "sluice/steer/stream_request_check.hpp"
#include "sluice/steering/client.hpp"

namespace {

namespace steering = sluice::steering;
// Keys in the order they are written, as the text output lists them.
using Json = nlohmann::ordered_json;

enum Exit : int {
  done = 0,
  usage_error = sluice::cli::usage_exit_code,
  unreachable = 3,
  unknown_name = 4,
  wrong_type = 5,
  out_of_range = 6,
  not_permitted = 7,
  finished = 8,
  timeout = 9,
  bad_request = 10,
  bad_region = 11,
};

constexpr const char* exit_codes_help =
    "Exit codes:\n"
    "  0   done\n"
    "  2   usage: a bad command line, an empty --token-file, a malformed region or corner\n"
    "  3   cannot reach the server (no port in --port-file, refused, connection lost)\n"
    "  4   unknown name: no such parameter or stream\n"
    "  5   wrong type: a value or .npy dtype of another type than the target's\n"
    "  6   out of range: outside the parameter's bounds, not finite (a value, or injected\n"
    "      data without --allow-nonfinite), every < 1\n"
    "  7   not permitted: wrong or missing token\n"
    "  8   the simulation has finished\n"
    "  9   timeout: the simulation did not reach an iteration boundary in time\n"
    "  10  bad request, or a .npy file that cannot be read\n"
    "  11  bad region: outside the array, or the wrong number of dimensions\n"
    "With --json, the result is one JSON document on stdout, failures included:\n"
    "{\"error\": KIND, \"message\": TEXT}. Numbers that are not finite (NaN, inf) are\n"
    "written as null. The token may also come from SLUICE_STEER_TOKEN.";

int exit_code_of(steering::ErrorKind kind) {
  switch (kind) {
    case steering::ErrorKind::connection:
      return unreachable;
    case steering::ErrorKind::unknown_name:
      return unknown_name;
    case steering::ErrorKind::wrong_type:
      return wrong_type;
    case steering::ErrorKind::out_of_range:
      return out_of_range;
    case steering::ErrorKind::not_permitted:
      return not_permitted;
    case steering::ErrorKind::simulation_finished:
      return finished;
    case steering::ErrorKind::timeout:
      return timeout;
    case steering::ErrorKind::bad_request:
      return bad_request;
    case steering::ErrorKind::bad_region:
      return bad_region;
  }
  return bad_request;
}

std::string text_of(const steering::Value& value) {
  if (const auto* real = std::get_if<double>(&value)) {
    char text[32];
    const auto result = std::to_chars(text, text + sizeof(text), *real);
    return std::string(text, result.ptr);
  }
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    return std::to_string(*integer);
  }
  return std::get<bool>(value) ? "true" : "false";
}

// nlohmann-json writes a non-finite double as null.
Json json_of(const steering::Value& value) {
  return std::visit([](auto v) { return Json(v); }, value);
}

const char* type_name(steering::ValueType type) {
  switch (type) {
    case steering::ValueType::f64:
      return "f64";
    case steering::ValueType::i64:
      return "i64";
    case steering::ValueType::boolean:
      return "bool";
  }
  return "bool";
}

std::string region_text(const sluice::Box& region) { return region.describe(); }

Json json_of(const steering::Parameter& p) {
  Json out = {{"name", p.name}, {"type", type_name(p.type)}, {"value", json_of(p.value)}};
  if (p.min) {
    out["min"] = json_of(*p.min);
  }
  if (p.max) {
    out["max"] = json_of(*p.max);
  }
  out["doc"] = p.doc;
  out["since_iteration"] = p.since_iteration;
  return out;
}

Json json_of(const steering::StreamStatus& s) {
  return {{"name", s.name},
          {"dtype", s.dtype},
          {"shape", s.shape},
          {"newest_iteration", s.newest_iteration},
          {"published", s.published},
          {"skipped", s.skipped},
          {"bytes_pulled", s.bytes_pulled},
          {"active_readers", s.active_readers},
          {"closed", s.closed},
          {"enabled", s.enabled},
          {"every", s.every},
          {"region", region_text(s.region)},
          {"exposure_since", s.exposure_since},
          {"withheld", s.withheld},
          {"evicted", s.evicted},
          {"injectable", s.injectable}};
}

Json json_of(const steering::Status& status) {
  Json parameters = Json::array();
  for (const auto& p : status.parameters) {
    parameters.push_back(json_of(p));
  }
  Json streams = Json::array();
  for (const auto& s : status.streams) {
    streams.push_back(json_of(s));
  }
  Json roles = Json::object();
  for (const auto& [role, ranks] : status.roles) {
    roles[role] = ranks;
  }
  Json graphs = Json::array();
  for (const auto& g : status.graphs) {
    graphs.push_back({{"name", g.name},
                      {"root", g.root},
                      {"partitions", g.partitions},
                      {"last_iteration", g.last_iteration},
                      {"iterations", g.iterations},
                      {"failed_iterations", g.failed_iterations},
                      {"skipped_iterations", g.skipped_iterations},
                      {"last_error", g.last_error},
                      {"last_error_iteration", g.last_error_iteration},
                      {"stopped_early", g.stopped_early},
                      {"median_us", g.median_us},
                      {"max_us", g.max_us},
                      {"tasks_per_iteration", g.tasks_per_iteration},
                      {"callbacks_dropped", g.callbacks_dropped},
                      {"compilations", g.compilations},
                      {"latency_median_us", g.latency_median_us},
                      {"latency_max_us", g.latency_max_us}});
  }
  return {{"iteration", status.iteration}, {"paused", status.paused},
          {"waiting", status.waiting},     {"parameters", std::move(parameters)},
          {"streams", std::move(streams)}, {"roles", std::move(roles)},
          {"graphs", std::move(graphs)}};
}

void print_json(const Json& json) {
  // Names and docs come from the simulation: bytes that are not UTF-8 become U+FFFD
  // rather than failing the whole output.
  std::printf("%s\n", json.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
}

void print_parameter(const steering::Parameter& p) {
  std::string range;
  if (p.min || p.max) {
    range = " in [" + (p.min ? text_of(*p.min) : "-inf") + ", " +
            (p.max ? text_of(*p.max) : "inf") + "]";
  }
  std::printf("%-16s %-4s %-12s%s  (since iteration %lld)  %s\n", p.name.c_str(), type_name(p.type),
              text_of(p.value).c_str(), range.c_str(), static_cast<long long>(p.since_iteration),
              p.doc.c_str());
}

void print_status(const steering::Status& status) {
  std::printf("iteration %lld%s\n", static_cast<long long>(status.iteration),
              status.paused ? " (paused)" : "");
  if (!status.waiting.empty()) {
    std::printf("waiting: %s\n", status.waiting.c_str());
  }
  std::printf("parameters:\n");
  for (const auto& p : status.parameters) {
    std::printf("  ");
    print_parameter(p);
  }
  std::printf("streams:\n");
  for (const auto& s : status.streams) {
    std::printf(
        "  %-16s %s newest %lld, %lld published, %lld skipped, %lld withheld, %lld bytes "
        "pulled, %lld readers%s%s\n"
        "  %-16s %s, every %lld, region %s (since iteration %lld)%s\n",
        s.name.c_str(), s.dtype.c_str(), static_cast<long long>(s.newest_iteration),
        static_cast<long long>(s.published), static_cast<long long>(s.skipped),
        static_cast<long long>(s.withheld), static_cast<long long>(s.bytes_pulled),
        static_cast<long long>(s.active_readers), s.closed ? ", closed" : "",
        s.evicted > 0 ? (", " + std::to_string(s.evicted) + " evicted").c_str() : "", "",
        s.enabled ? "on" : "off", static_cast<long long>(s.every), region_text(s.region).c_str(),
        static_cast<long long>(s.exposure_since), s.injectable ? ", takes injections" : "");
  }
  std::printf("roles:");
  for (const auto& [role, ranks] : status.roles) {
    std::printf(" %s x%zu", role.c_str(), ranks.size());
  }
  std::printf("\n");
  if (!status.graphs.empty()) {
    std::printf("graphs:\n");
  }
  for (const auto& g : status.graphs) {
    std::printf(
        "  %-16s newest %lld, %lld iterations, %lld failed, %lld skipped, %.1f us per iteration "
        "(max %.1f), latency %.1f us (max %.1f), %lld tasks, root rank %d, %zu partition(s)%s\n",
        g.name.c_str(), static_cast<long long>(g.last_iteration),
        static_cast<long long>(g.iterations), static_cast<long long>(g.failed_iterations),
        static_cast<long long>(g.skipped_iterations), g.median_us, g.max_us, g.latency_median_us,
        g.latency_max_us, static_cast<long long>(g.tasks_per_iteration), g.root,
        g.partitions.size(),
        g.callbacks_dropped > 0
            ? (", " + std::to_string(g.callbacks_dropped) + " callbacks dropped").c_str()
            : "");
    if (!g.last_error.empty()) {
      std::printf("  %-16s last error at iteration %lld: %s\n", "",
                  static_cast<long long>(g.last_error_iteration), g.last_error.c_str());
    }
    if (!g.stopped_early.empty()) {
      std::printf("  %-16s stopped early: %s\n", "", g.stopped_early.c_str());
    }
  }
}

// Whether all of `text` reads as a T (std::from_chars: decimal only, no leading space
// or '+', no hexadecimal, nothing after the number).
template <typename T>
bool parse_whole(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && stop == end;
}

// Parses VALUE as the parameter's type; a value of another type is sent as it reads,
// for the simulation to refuse with its own message. Numbers are decimal integers or
// floats ("nan" and "inf" read too, for the simulation to refuse as not finite).
steering::Value parse_value(const std::string& text, std::optional<steering::ValueType> type) {
  if (text == "true" || text == "false") {
    return text == "true";
  }
  std::int64_t integer = 0;
  if (parse_whole(text, integer) && type != steering::ValueType::f64) {
    return integer;
  }
  double real = 0;
  if (parse_whole(text, real)) {
    return real;
  }
  throw std::invalid_argument("'" + text +
                              "' is not a number or true/false (numbers are decimal: 50, -3, "
                              "0.25, 1e-3)");
}

// on | off | every N | region R, in any order: a change to a stream.
steering::StreamChange parse_stream_change(const std::vector<std::string>& words) {
  steering::StreamChange change;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "on" || word == "off") {
      change.enabled = word == "on";
    } else if (word == "every" && i + 1 < words.size()) {
      const std::string& n = words[++i];
      std::int64_t every = 0;
      if (!parse_whole(n, every)) {
        throw std::invalid_argument("every takes a whole number, not '" + n + "'");
      }
      change.every = every;
    } else if (word == "region" && i + 1 < words.size()) {
      const auto region = sluice::cli::parse_region(words[++i]);
      change.region = region;
    } else if (word == "every" || word == "region") {
      throw std::invalid_argument("'" + word + "' needs a value: every N or region R");
    } else {
      throw std::invalid_argument("'" + word + "': say on, off, every N or region R");
    }
  }
  return change;
}

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  std::string port_file;
  std::string token_file;
  bool json = false;
  std::string command;             // the subcommand given
  std::string name;                // of a parameter or a stream
  std::string value;               // set
  std::vector<std::string> words;  // stream: on|off, every N, region R
  std::string file;                // inject: the .npy file
  std::string at;                  // inject: the word "at"...
  std::string corner;              // ...and I,J,...
  bool allow_nonfinite = false;    // inject: NaN and infinities too
};

// The command line, as CLI11 reads it, or the code to exit with (--help, a usage error).
std::variant<Options, int> parse_command_line(int argc, char** argv) {
  Options o;
  CLI::App app(
      "Steers a running sluice job through its sluice-steering-server.\n"
      "Each command has its own --help: sluice-steer stream --help.",
      "sluice-steer");
  sluice::cli::use_sluice_help_style(app);
  app.fallthrough();  // --json and the connection options may also follow the command
  app.require_subcommand(1);
  app.footer(exit_codes_help);
  app.add_option("--host", o.host, "the server's address")->capture_default_str();
  auto* port = app.add_option("--port", o.port, "the server's TCP port")
                   ->check(CLI::Range(1, 65535))
                   ->type_name("N");
  app.add_option("--port-file", o.port_file,
                 "read the port from FILE (sluice-steering-server --port-file writes it)")
      ->type_name("FILE")
      ->excludes(port);
  app.add_option("--token-file", o.token_file, "send the token in FILE (its first line)")
      ->type_name("FILE");
  app.add_flag("--json", o.json, "print the result (or the failure) as JSON");

  auto command = [&](const char* name, const char* description) {
    auto* sub = app.add_subcommand(name, description);
    sub->footer(exit_codes_help);
    sub->callback([&o, name] { o.command = name; });
    return sub;
  };
  command("status", "iteration, pause state, parameters, streams, roles, graphs");
  command("params", "the parameters with their values, bounds and docs");
  command("get", "one parameter's value")->add_option("NAME", o.name, "the parameter")->required();
  auto* set = command("set", "change a parameter; prints the iteration it holds from");
  set->add_option("NAME", o.name, "the parameter")->required();
  set->add_option("VALUE", o.value,
                  "a number or true/false, read as the parameter's type (write a value that "
                  "starts with '-' and a letter after --)")
      ->required();
  auto* stream = command("stream", "change what a stream publishes: on/off, every N, region");
  stream->add_option("NAME", o.name, "the stream")->required();
  stream
      ->add_option("CHANGE", o.words,
                   "on | off | every N | region S:E,S:E,... | region all; regions are "
                   "half-open ranges per dimension, all is the whole array")
      ->required();
  auto* inject = command("inject", "write an array from a .npy file into a simulation array");
  inject->add_option("NAME", o.name, "the stream whose array takes the data")->required();
  inject->add_option("FILE.npy", o.file, "the data (numpy.save, C order, the stream's dtype)")
      ->required();
  auto* at = inject->add_option("at", o.at, "the word at, before the corner")
                 ->check(CLI::IsMember({"at"}))
                 ->type_name("");
  inject
      ->add_option("CORNER", o.corner,
                   "I,J,...: where the array's corner goes (default the origin)")
      ->type_name("")
      ->needs(at);
  inject->add_flag("--allow-nonfinite", o.allow_nonfinite,
                   "inject NaN and infinite values too (refused otherwise: they spread through "
                   "the field)");
  command("pause", "pause the simulation before its next iteration");
  command("resume", "resume a paused simulation");
  command("stop", "stop the simulation before its next iteration");

  if (const auto code = sluice::cli::parse_command_line(app, argc, argv)) {
    return *code;
  }
  if (o.command == "inject" && !o.at.empty() && o.corner.empty()) {
    std::fprintf(stderr, "sluice-steer: bad command line: at needs a corner I,J,...\n");
    return usage_error;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // Failures are reported once, as sluice-steer's own message.
  apache::thrift::GlobalOutput.setOutputFunction([](const char*) {});
  auto parsed = parse_command_line(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const Options& o = std::get<Options>(parsed);
  std::string token;
  if (const char* from_env = std::getenv("SLUICE_STEER_TOKEN")) {
    token = from_env;
  }
  if (!o.token_file.empty()) {
    std::ifstream file(o.token_file);
    if (!std::getline(file, token)) {
      std::fprintf(stderr, "sluice-steer: no token in %s\n", o.token_file.c_str());
      return usage_error;
    }
  }
  int port = o.port;
  if (!o.port_file.empty()) {
    std::ifstream file(o.port_file);
    if (!(file >> port) || port <= 0 || port > 65535) {
      std::fprintf(stderr, "sluice-steer: no port in %s (is the server up?)\n",
                   o.port_file.c_str());
      return unreachable;
    }
  }
  if (port <= 0) {
    std::fprintf(stderr, "sluice-steer: give the server's --port or --port-file (see --help)\n");
    return usage_error;
  }

  auto fail = [&](int code, const char* kind, const std::string& message) {
    if (o.json) {
      print_json({{"error", kind}, {"message", message}});
    } else {
      std::fprintf(stderr, "sluice-steer: %s: %s\n", kind, message.c_str());
    }
    return code;
  };
  auto print_iteration = [&](const char* what, std::int64_t iteration) {
    if (o.json) {
      print_json({{what, iteration}});
    } else {
      std::printf("%s %lld\n", what, static_cast<long long>(iteration));
    }
  };

  // What the command line asks that needs no server is checked before connecting.
  steering::StreamChange change;
  sluice::npy::Array array;
  sluice::Box region;
  try {
    if (o.command == "stream") {
      change = parse_stream_change(o.words);
    } else if (o.command == "inject") {
      region.start =
          o.corner.empty() ? std::vector<std::int64_t>() : sluice::cli::parse_corner(o.corner);
      array = sluice::npy::read(o.file);
      if (o.corner.empty()) {
        region.start.assign(array.shape.size(), 0);
      }
      region.count = array.shape;
      if (!o.allow_nonfinite) {
        const auto verdict = sluice::steer::check_injection_values(o.name, array.dtype, array.data);
        if (verdict.code != sluice::steer::Code::ok) {
          return fail(out_of_range, "out of range", verdict.message);
        }
      }
    }
  } catch (const sluice::Error& e) {
    return fail(bad_request, "bad request", e.what());
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "sluice-steer: %s\n", e.what());
    return usage_error;
  } catch (const std::exception& e) {
    // The library's own failures (std::ios_base::failure reading the file): bad input
    // too, never an abort.
    return fail(bad_request, "bad request", "reading " + o.file + ": " + e.what());
  }

  std::unique_ptr<steering::Client> client;
  try {
    client = std::make_unique<steering::Client>(
        steering::ClientOptions{o.host, port, token, std::chrono::seconds(5)});
  } catch (const steering::Error& e) {
    std::fprintf(stderr, "sluice-steer: cannot reach %s:%d: %s\n", o.host.c_str(), port, e.what());
    return unreachable;
  }

  try {
    if (o.command == "status") {
      const auto status = client->status();
      o.json ? print_json(json_of(status)) : print_status(status);
    } else if (o.command == "params") {
      const auto params = client->parameters();
      if (o.json) {
        Json out = Json::array();
        for (const auto& p : params) {
          out.push_back(json_of(p));
        }
        print_json(out);
      } else {
        for (const auto& p : params) {
          print_parameter(p);
        }
      }
    } else if (o.command == "get") {
      const auto value = client->get(o.name);
      if (o.json) {
        print_json({{"name", o.name}, {"value", json_of(value)}});
      } else {
        std::printf("%s\n", text_of(value).c_str());
      }
    } else if (o.command == "set") {
      // The parameter's type decides how VALUE is read ("1" is 1.0 for an f64).
      std::optional<steering::ValueType> type;
      for (const auto& p : client->parameters()) {
        if (p.name == o.name) {
          type = p.type;
        }
      }
      steering::Value value;
      try {
        value = parse_value(o.value, type);
      } catch (const std::invalid_argument& e) {
        return fail(wrong_type, "wrong type", e.what());
      }
      print_iteration("from_iteration", client->set(o.name, value));
    } else if (o.command == "stream") {
      print_iteration("from_iteration", client->control_stream(o.name, change));
    } else if (o.command == "inject") {
      print_iteration("from_iteration",
                      client->inject(o.name, region, array.dtype, array.data, o.allow_nonfinite));
    } else if (o.command == "pause") {
      print_iteration("paused_before_iteration", client->pause());
    } else if (o.command == "resume") {
      print_iteration("resumed_at_iteration", client->resume());
    } else {
      print_iteration("stops_before_iteration", client->stop());
    }
  } catch (const steering::Error& e) {
    return fail(exit_code_of(e.kind()), steering::kind_name(e.kind()), e.what());
  }
  return done;
}
