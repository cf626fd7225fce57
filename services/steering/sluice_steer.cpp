// sluice-steer: steer a running sluice job from a shell.
//
//   sluice-steer --port-file steer.port status
//   sluice-steer --port 9090 set dt 0.1        # prints the iteration it holds from
//   sluice-steer --port 9090 --json params
//   sluice-steer --port 9090 stream temperature every 10 region 0:128,0:512
//   sluice-steer --port 9090 inject temperature patch.npy at 10,20
//
// Exit codes: 0 done, 2 usage, 3 cannot reach the server, 4 unknown name, 5 wrong
// type, 6 out of range, 7 not permitted (token), 8 simulation finished, 9 timeout,
// 10 bad request, 11 bad region.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "npy.hpp"
#include "region_text.hpp"
#include "sluice/core/error.hpp"
#include "steering_client.hpp"

namespace {

namespace th = apache::thrift;
namespace gen = sluice::steering::thrift;

enum Exit : int {
  done = 0,
  usage_error = 2,
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

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: sluice-steer [--host H] [--port N | --port-file F] [--token-file F]\n"
               "                    [--json] COMMAND\n"
               "commands:\n"
               "  status            iteration, pause state, parameters, streams, roles\n"
               "  params            the parameters with their values, bounds and docs\n"
               "  get NAME          one parameter's value\n"
               "  set NAME VALUE    change a parameter; prints the iteration it holds from\n"
               "  stream NAME [on|off] [every N] [region S:E,S:E,... | region all]\n"
               "                    change what a stream publishes: on or off, every N-th\n"
               "                    iteration, the region readers see (half-open ranges)\n"
               "  inject NAME FILE.npy [at I,J,...]\n"
               "                    write the array in FILE.npy into the simulation's array\n"
               "                    NAME, its corner at I,J,... (default the origin)\n"
               "  pause | resume | stop\n"
               "The token may also come from SLUICE_STEER_TOKEN. Exit codes: 0 done, 2 usage,\n"
               "3 unreachable, 4 unknown name, 5 wrong type, 6 out of range, 7 not permitted,\n"
               "8 simulation finished, 9 timeout, 10 bad request, 11 bad region.\n");
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string text_of(const gen::Value& value) {
  if (value.__isset.f64) {
    char text[32];
    const auto result = std::to_chars(text, text + sizeof(text), value.f64);
    return std::string(text, result.ptr);
  }
  if (value.__isset.integer) {
    return std::to_string(value.integer);
  }
  return value.flag ? "true" : "false";
}

// In JSON, a number or a boolean is written as its text; non-finite doubles cannot be.
std::string json_value(const gen::Value& value) {
  const std::string text = text_of(value);
  return (text == "inf" || text == "-inf" || text == "nan") ? json_string(text) : text;
}

const char* type_name(gen::ValueType::type type) {
  switch (type) {
    case gen::ValueType::F64:
      return "f64";
    case gen::ValueType::I64:
      return "i64";
    default:
      return "bool";
  }
}

std::string parameter_json(const gen::Parameter& p) {
  std::string out = "{\"name\": " + json_string(p.name) + ", \"type\": \"" + type_name(p.type) +
                    "\", \"value\": " + json_value(p.value);
  if (p.__isset.min) {
    out += ", \"min\": " + json_value(p.min);
  }
  if (p.__isset.max) {
    out += ", \"max\": " + json_value(p.max);
  }
  return out + ", \"doc\": " + json_string(p.doc) +
         ", \"since_iteration\": " + std::to_string(p.since_iteration) + "}";
}

void print_parameter(const gen::Parameter& p) {
  std::string range;
  if (p.__isset.min || p.__isset.max) {
    range = " in [" + (p.__isset.min ? text_of(p.min) : "-inf") + ", " +
            (p.__isset.max ? text_of(p.max) : "inf") + "]";
  }
  std::printf("%-16s %-4s %-12s%s  (since iteration %lld)  %s\n", p.name.c_str(), type_name(p.type),
              text_of(p.value).c_str(), range.c_str(), static_cast<long long>(p.since_iteration),
              p.doc.c_str());
}

// Parses VALUE as the parameter's type; a value of another type is sent as it reads,
// for the simulation to refuse with its own message.
gen::Value parse_value(const std::string& text, std::optional<gen::ValueType::type> type) {
  gen::Value value;
  if (text == "true" || text == "false") {
    value.__set_flag(text == "true");
    return value;
  }
  std::int64_t integer = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), integer);
  const bool is_integer = error == std::errc() && end == text.data() + text.size();
  if (is_integer && type != gen::ValueType::F64) {
    value.__set_integer(integer);
    return value;
  }
  try {
    std::size_t used = 0;
    const double real = std::stod(text, &used);
    if (used == text.size()) {
      value.__set_f64(real);
      return value;
    }
  } catch (const std::exception&) {
  }
  if (text == "nan" || text == "NaN") {
    value.__set_f64(std::numeric_limits<double>::quiet_NaN());
    return value;
  }
  throw std::invalid_argument("'" + text + "' is not a number or true/false");
}

std::string region_text(const gen::Region& region) {
  return sluice::Box{region.start, region.count}.describe();
}

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  std::string token;
  bool json = false;
  std::vector<std::string> command;
};

}  // namespace

int main(int argc, char** argv) {
  // Failures are reported once, as sluice-steer's own message.
  th::GlobalOutput.setOutputFunction([](const char*) {});
  Options o;
  if (const char* token = std::getenv("SLUICE_STEER_TOKEN")) {
    o.token = token;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return done;
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--host" && has_value) {
      o.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      o.port = std::atoi(argv[++i]);
    } else if (arg == "--port-file" && has_value) {
      std::ifstream file(argv[++i]);
      if (!(file >> o.port)) {
        std::fprintf(stderr, "sluice-steer: no port in %s (is the server up?)\n", argv[i]);
        return unreachable;
      }
    } else if (arg == "--token-file" && has_value) {
      std::ifstream file(argv[++i]);
      if (!std::getline(file, o.token)) {
        std::fprintf(stderr, "sluice-steer: no token in %s\n", argv[i]);
        return usage_error;
      }
    } else if (arg.starts_with("--")) {
      std::fprintf(stderr, "sluice-steer: unknown option %s (see --help)\n", arg.c_str());
      return usage_error;
    } else {
      o.command.push_back(arg);
    }
  }
  const std::size_t words = o.command.size();
  const std::string command = words > 0 ? o.command[0] : "";
  const bool well_formed =
      ((command == "status" || command == "params" || command == "pause" || command == "resume" ||
        command == "stop") &&
       words == 1) ||
      (command == "get" && words == 2) || (command == "set" && words == 3) ||
      (command == "stream" && words >= 3) ||
      (command == "inject" && (words == 3 || (words == 5 && o.command[3] == "at")));
  if (!well_formed || o.port <= 0 || o.port > 65535) {
    std::fprintf(stderr, o.port <= 0 && well_formed
                             ? "sluice-steer: give the server's --port or --port-file\n"
                             : "sluice-steer: bad command line\n");
    usage(stderr);
    return usage_error;
  }

  std::unique_ptr<sluice::steering::Client> connection;
  try {
    connection = std::make_unique<sluice::steering::Client>(
        sluice::steering::ClientOptions{o.host, o.port, o.token, std::chrono::seconds(5)});
  } catch (const th::TException& e) {
    std::fprintf(stderr, "sluice-steer: cannot reach %s:%d: %s\n", o.host.c_str(), o.port,
                 e.what());
    return unreachable;
  }
  gen::SteeringClient& client = connection->thrift();

  auto fail = [&](int code, const char* kind, const std::string& message) {
    if (o.json) {
      std::printf("{\"error\": \"%s\", \"message\": %s}\n", kind, json_string(message).c_str());
    } else {
      std::fprintf(stderr, "sluice-steer: %s: %s\n", kind, message.c_str());
    }
    return code;
  };
  auto print_iteration = [&](const char* what, int64_t iteration) {
    if (o.json) {
      std::printf("{\"%s\": %lld}\n", what, static_cast<long long>(iteration));
    } else {
      std::printf("%s %lld\n", what, static_cast<long long>(iteration));
    }
  };

  try {
    if (command == "status") {
      gen::Status status;
      client.status(status, o.token);
      if (o.json) {
        std::string out = "{\"iteration\": " + std::to_string(status.iteration) +
                          ", \"paused\": " + (status.paused ? "true" : "false") +
                          ", \"parameters\": [";
        for (std::size_t i = 0; i < status.parameters.size(); ++i) {
          out += (i ? ", " : "") + parameter_json(status.parameters[i]);
        }
        out += "], \"streams\": [";
        for (std::size_t i = 0; i < status.streams.size(); ++i) {
          const auto& s = status.streams[i];
          std::string shape;
          for (std::size_t d = 0; d < s.shape.size(); ++d) {
            shape += (d ? ", " : "") + std::to_string(s.shape[d]);
          }
          out += std::string(i ? ", " : "") + "{\"name\": " + json_string(s.name) +
                 ", \"dtype\": " + json_string(s.dtype) + ", \"shape\": [" + shape +
                 "], \"newest_iteration\": " + std::to_string(s.newest_iteration) +
                 ", \"published\": " + std::to_string(s.published) +
                 ", \"skipped\": " + std::to_string(s.skipped) +
                 ", \"bytes_pulled\": " + std::to_string(s.bytes_pulled) +
                 ", \"active_readers\": " + std::to_string(s.active_readers) +
                 ", \"closed\": " + (s.closed ? "true" : "false") +
                 ", \"enabled\": " + (s.enabled ? "true" : "false") +
                 ", \"every\": " + std::to_string(s.every) +
                 ", \"region\": " + json_string(region_text(s.region)) +
                 ", \"exposure_since\": " + std::to_string(s.exposure_since) +
                 ", \"withheld\": " + std::to_string(s.withheld) +
                 ", \"injectable\": " + (s.injectable ? "true" : "false") + "}";
        }
        out += "], \"roles\": {";
        bool first = true;
        for (const auto& [role, ranks] : status.roles) {
          std::string list;
          for (std::size_t r = 0; r < ranks.size(); ++r) {
            list += (r ? ", " : "") + std::to_string(ranks[r]);
          }
          out += (first ? "" : ", ") + json_string(role) + ": [" + list + "]";
          first = false;
        }
        std::printf("%s}}\n", out.c_str());
      } else {
        std::printf("iteration %lld%s\n", static_cast<long long>(status.iteration),
                    status.paused ? " (paused)" : "");
        std::printf("parameters:\n");
        for (const auto& p : status.parameters) {
          std::printf("  ");
          print_parameter(p);
        }
        std::printf("streams:\n");
        for (const auto& s : status.streams) {
          std::printf(
              "  %-16s %s newest %lld, %lld published, %lld skipped, %lld withheld, %lld bytes "
              "pulled, %lld readers%s\n"
              "  %-16s %s, every %lld, region %s (since iteration %lld)%s\n",
              s.name.c_str(), s.dtype.c_str(), static_cast<long long>(s.newest_iteration),
              static_cast<long long>(s.published), static_cast<long long>(s.skipped),
              static_cast<long long>(s.withheld), static_cast<long long>(s.bytes_pulled),
              static_cast<long long>(s.active_readers), s.closed ? ", closed" : "", "",
              s.enabled ? "on" : "off", static_cast<long long>(s.every),
              region_text(s.region).c_str(), static_cast<long long>(s.exposure_since),
              s.injectable ? ", takes injections" : "");
        }
        std::printf("roles:");
        for (const auto& [role, ranks] : status.roles) {
          std::printf(" %s x%zu", role.c_str(), ranks.size());
        }
        std::printf("\n");
      }
    } else if (command == "params") {
      std::vector<gen::Parameter> params;
      client.list_parameters(params, o.token);
      if (o.json) {
        std::string out = "[";
        for (std::size_t i = 0; i < params.size(); ++i) {
          out += (i ? ", " : "") + parameter_json(params[i]);
        }
        std::printf("%s]\n", out.c_str());
      } else {
        for (const auto& p : params) {
          print_parameter(p);
        }
      }
    } else if (command == "get") {
      gen::Value value;
      client.get_parameter(value, o.token, o.command[1]);
      if (o.json) {
        std::printf("{\"name\": %s, \"value\": %s}\n", json_string(o.command[1]).c_str(),
                    json_value(value).c_str());
      } else {
        std::printf("%s\n", text_of(value).c_str());
      }
    } else if (command == "set") {
      // The parameter's type decides how VALUE is read ("1" is 1.0 for an f64).
      std::optional<gen::ValueType::type> type;
      std::vector<gen::Parameter> params;
      client.list_parameters(params, o.token);
      for (const auto& p : params) {
        if (p.name == o.command[1]) {
          type = p.type;
        }
      }
      gen::Value value;
      try {
        value = parse_value(o.command[2], type);
      } catch (const std::invalid_argument& e) {
        return fail(wrong_type, "wrong type", e.what());
      }
      print_iteration("from_iteration", client.set_parameter(o.token, o.command[1], value));
    } else if (command == "stream") {
      sluice::steering::StreamChange change;
      try {
        for (std::size_t i = 2; i < words; ++i) {
          const std::string& word = o.command[i];
          if (word == "on" || word == "off") {
            change.enabled = word == "on";
          } else if (word == "every" && i + 1 < words) {
            const std::string& n = o.command[++i];
            std::int64_t every = 0;
            if (std::from_chars(n.data(), n.data() + n.size(), every).ptr != n.data() + n.size()) {
              throw std::invalid_argument("every takes a whole number, not '" + n + "'");
            }
            change.every = every;
          } else if (word == "region" && i + 1 < words) {
            change.region = sluice::cli::parse_region(o.command[++i]);
          } else {
            throw std::invalid_argument("'" + word + "': say on, off, every N or region R");
          }
        }
      } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "sluice-steer: %s\n", e.what());
        return usage_error;
      }
      print_iteration("from_iteration", connection->control_stream(o.command[1], change));
    } else if (command == "inject") {
      sluice::npy::Array array;
      sluice::Box region;
      try {
        array = sluice::npy::read(o.command[2]);
        region.start = words == 5 ? sluice::cli::parse_corner(o.command[4])
                                  : std::vector<std::int64_t>(array.shape.size(), 0);
        region.count = array.shape;
      } catch (const sluice::Error& e) {
        return fail(bad_request, "bad request", e.what());
      } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "sluice-steer: %s\n", e.what());
        return usage_error;
      }
      print_iteration("from_iteration",
                      connection->inject(o.command[1], region,
                                         std::string(sluice::dtype_name(array.dtype)), array.data));
    } else if (command == "pause") {
      print_iteration("paused_before_iteration", client.pause(o.token));
    } else if (command == "resume") {
      print_iteration("resumed_at_iteration", client.resume(o.token));
    } else {
      print_iteration("stops_before_iteration", client.stop(o.token));
    }
  } catch (const gen::UnknownName& e) {
    return fail(unknown_name, "unknown name", e.message);
  } catch (const gen::WrongType& e) {
    return fail(wrong_type, "wrong type", e.message);
  } catch (const gen::OutOfRange& e) {
    return fail(out_of_range, "out of range", e.message);
  } catch (const gen::NotPermitted& e) {
    return fail(not_permitted, "not permitted", e.message);
  } catch (const gen::SimulationFinished& e) {
    return fail(finished, "simulation finished", e.message);
  } catch (const gen::Timeout& e) {
    return fail(timeout, "timeout", e.message);
  } catch (const gen::BadRequest& e) {
    return fail(bad_request, "bad request", e.message);
  } catch (const gen::BadRegion& e) {
    return fail(bad_region, "bad region", e.message);
  } catch (const th::TException& e) {
    return fail(unreachable, "connection", e.what());
  }
  return done;
}
