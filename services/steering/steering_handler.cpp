#include "steering_handler.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "sluice/core/dtype.hpp"
#include "sluice/steer/stream_request_check.hpp"

namespace sluice::steering {

namespace {

gen::Value to_thrift(const steer::Value& value) {
  gen::Value out;
  if (const auto* f = std::get_if<double>(&value)) {
    out.__set_f64(*f);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    out.__set_integer(*i);
  } else {
    out.__set_flag(std::get<bool>(value));
  }
  return out;
}

gen::ValueType::type to_thrift(steer::ValueType type) {
  switch (type) {
    case steer::ValueType::f64:
      return gen::ValueType::F64;
    case steer::ValueType::i64:
      return gen::ValueType::I64;
    case steer::ValueType::flag:
      break;
  }
  return gen::ValueType::BOOL;
}

gen::Parameter to_thrift(const steer::ParamEntry& entry) {
  gen::Parameter out;
  out.name = entry.name;
  out.type = to_thrift(entry.type);
  out.value = to_thrift(entry.value);
  if (entry.min) {
    out.__set_min(to_thrift(*entry.min));
  }
  if (entry.max) {
    out.__set_max(to_thrift(*entry.max));
  }
  out.doc = entry.doc;
  out.since_iteration = entry.since_iteration;
  return out;
}

template <typename Exception>
[[noreturn]] void raise(const std::string& message) {
  Exception e;
  e.message = message;
  throw e;
}

// Throws the IDL exception of a refusal; returns for Code::ok.
void throw_unless_ok(steer::Code code, const std::string& message) {
  switch (code) {
    case steer::Code::ok:
      return;
    case steer::Code::unknown_name:
      raise<gen::UnknownName>(message);
    case steer::Code::wrong_type:
      raise<gen::WrongType>(message);
    case steer::Code::out_of_range:
      raise<gen::OutOfRange>(message);
    case steer::Code::not_permitted:
      raise<gen::NotPermitted>(message);
    case steer::Code::finished:
      raise<gen::SimulationFinished>(message);
    case steer::Code::timeout:
      raise<gen::Timeout>(message);
    case steer::Code::bad_region:
      raise<gen::BadRegion>(message);
    case steer::Code::bad_request:
      break;
  }
  raise<gen::BadRequest>(message);
}

void throw_unless_ok(const steer::Response& response) {
  throw_unless_ok(response.code, response.message);
}

void throw_unless_ok(const steer::Verdict& verdict) {
  throw_unless_ok(verdict.code, verdict.message);
}

gen::Region to_thrift(const sluice::Box& region) {
  gen::Region out;
  out.start = region.start;
  out.count = region.count;
  return out;
}

sluice::Box from_thrift(const gen::Region& region) {
  sluice::Box out;
  out.start.assign(region.start.begin(), region.start.end());
  out.count.assign(region.count.begin(), region.count.end());
  return out;
}

// The stream `name` as every process knows it (from the windows' metadata), for the
// checks made before a request goes to the simulation; throws UnknownName if absent.
// Whether the simulation takes injections into it is the simulation's to say.
steer::SteeredStream known_stream(const std::vector<gen::StreamStatus>& streams,
                                  const std::string& name) {
  std::vector<std::string> names;
  for (const auto& s : streams) {
    if (s.name == name) {
      steer::SteeredStream known;
      known.name = s.name;
      known.dtype = sluice::parse_dtype(s.dtype).value_or(sluice::Dtype::u8);
      known.shape.assign(s.shape.begin(), s.shape.end());
      known.injectable = true;
      return known;
    }
    names.push_back(s.name);
  }
  throw_unless_ok(steer::unknown_stream(name, names));
  return {};  // not reached
}

}  // namespace

bool same_token(const std::string& given, const std::string& expected) noexcept {
  // Compare every byte of the longer one; a length difference counts as a mismatch
  // without returning early.
  const std::size_t length = std::max(given.size(), expected.size());
  unsigned difference = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < length; ++i) {
    const auto a = static_cast<unsigned char>(i < given.size() ? given[i] : 0);
    const auto b = static_cast<unsigned char>(i < expected.size() ? expected[i] : 0);
    difference |= static_cast<unsigned>(a ^ b);
  }
  return difference == 0;
}

void StreamBoard::publish(std::vector<gen::StreamStatus> streams) {
  const std::lock_guard lock(m_mutex);
  m_streams = std::move(streams);
}

std::vector<gen::StreamStatus> StreamBoard::snapshot() const {
  const std::lock_guard lock(m_mutex);
  return m_streams;
}

SteeringHandler::SteeringHandler(SimulationBackend& simulation, const StreamBoard& streams,
                                 HandlerOptions options)
    : m_simulation(&simulation), m_streams(&streams), m_options(std::move(options)) {}

void SteeringHandler::check_token(const std::string& token) const {
  if (!m_options.token.empty() && !same_token(token, m_options.token)) {
    raise<gen::NotPermitted>("wrong or missing token");
  }
}

steer::Response SteeringHandler::status_or_throw() {
  auto response = m_simulation->status(m_options.timeout);
  throw_unless_ok(response);
  return response;
}

void SteeringHandler::status(gen::Status& result, const std::string& token) {
  check_token(token);
  const auto response = status_or_throw();
  result.iteration = response.iteration;
  result.paused = response.paused;
  result.waiting = response.waiting;
  result.finished = false;
  for (const auto& entry : response.params) {
    result.parameters.push_back(to_thrift(entry));
  }
  result.streams = m_streams->snapshot();
  // Counters come from the windows, exposure from the simulation's answer.
  for (auto& stream : result.streams) {
    for (const auto& steered : response.streams) {
      if (steered.name == stream.name) {
        stream.enabled = steered.exposure.enabled;
        stream.every = steered.exposure.every;
        // The whole array is shown as "all" (sluice::Box's whole-array marker).
        const sluice::Box& exposed = steered.exposure.region;
        stream.region =
            to_thrift(exposed == sluice::Box::all(steered.shape) ? sluice::Box{} : exposed);
        stream.exposure_since = steered.exposure.since_iteration;
        stream.injectable = steered.injectable;
      }
    }
  }
  result.roles = m_simulation->roles();
  // The graphs, from their roots on the ring (schedulers that do not answer within a
  // second are left out: the status never waits on a busy ring for long).
  for (const auto& g : m_simulation->graphs(std::chrono::seconds(1))) {
    gen::GraphStatus graph;
    graph.name = g.name;
    graph.root = g.root;
    for (const auto& p : g.partitions) {
      graph.partitions.push_back(p.world_rank);
    }
    graph.last_iteration = g.last_iteration;
    graph.iterations = static_cast<std::int64_t>(g.iterations);
    graph.failed_iterations = static_cast<std::int64_t>(g.failed_iterations);
    graph.skipped_iterations = static_cast<std::int64_t>(g.skipped_iterations);
    graph.last_error = g.last_error;
    graph.last_error_iteration = g.last_error_iteration;
    graph.stopped_early = g.stopped_early;
    graph.median_us = g.iteration_time.median_us;
    graph.max_us = g.iteration_time.max_us;
    graph.tasks_per_iteration = static_cast<std::int64_t>(g.tasks_per_iteration);
    graph.callbacks_dropped = static_cast<std::int64_t>(g.callbacks_dropped);
    graph.compilations = static_cast<std::int64_t>(g.compilations);
    graph.latency_median_us = g.latency.median_us;
    graph.latency_max_us = g.latency.max_us;
    result.graphs.push_back(std::move(graph));
  }
}

void SteeringHandler::list_parameters(std::vector<gen::Parameter>& result,
                                      const std::string& token) {
  check_token(token);
  for (const auto& entry : status_or_throw().params) {
    result.push_back(to_thrift(entry));
  }
}

void SteeringHandler::get_parameter(gen::Value& result, const std::string& token,
                                    const std::string& name) {
  check_token(token);
  const auto response = status_or_throw();
  std::string known;
  for (const auto& entry : response.params) {
    if (entry.name == name) {
      result = to_thrift(entry.value);
      return;
    }
    known += (known.empty() ? "" : ", ") + entry.name;
  }
  raise<gen::UnknownName>("no parameter '" + name +
                          "'; parameters: " + (known.empty() ? "none" : known));
}

int64_t SteeringHandler::set_parameter(const std::string& token, const std::string& name,
                                       const gen::Value& value) {
  check_token(token);
  const int set_fields = static_cast<int>(value.__isset.f64) +
                         static_cast<int>(value.__isset.integer) +
                         static_cast<int>(value.__isset.flag);
  if (set_fields != 1) {
    raise<gen::BadRequest>("a Value holds exactly one of f64, integer, flag; this one holds " +
                           std::to_string(set_fields));
  }
  if (name.empty() || name.size() > 127) {
    raise<gen::UnknownName>("a parameter name has 1 to 127 characters");
  }
  steer::Value v;
  if (value.__isset.f64) {
    v = value.f64;
  } else if (value.__isset.integer) {
    v = static_cast<std::int64_t>(value.integer);
  } else {
    v = value.flag;
  }
  const auto response = m_simulation->set(name, v, m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::pause(const std::string& token) {
  check_token(token);
  const auto response = m_simulation->pause(m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::resume(const std::string& token) {
  check_token(token);
  const auto response = m_simulation->resume(m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::stop(const std::string& token) {
  check_token(token);
  const auto response = m_simulation->stop(m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::control_stream(const std::string& token, const std::string& stream,
                                        const gen::StreamControl& control) {
  check_token(token);
  steer::StreamControl change;
  if (control.__isset.enabled) {
    change.enabled = control.enabled;
  }
  if (control.__isset.every) {
    change.every = control.every;
  }
  if (control.__isset.region) {
    change.region = from_thrift(control.region);
  }
  if (!change.enabled && !change.every && !change.region) {
    raise<gen::BadRequest>("the StreamControl changes nothing: set enabled, every or region");
  }
  // Checked here too, with the simulation's own validator, so that a wrong request
  // fails without waiting for an iteration boundary; the simulation checks again.
  throw_unless_ok(steer::check_control(known_stream(m_streams->snapshot(), stream), change));
  const auto response = m_simulation->control_stream(stream, change, m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::open_injection(const std::string& token, const std::string& stream,
                                        const gen::Region& region, const std::string& dtype,
                                        bool allow_nonfinite) {
  check_token(token);
  // Checked here against what every process knows of the stream, so that a wrong
  // request fails before its data is sent; the simulation checks again.
  const steer::SteeredStream known = known_stream(m_streams->snapshot(), stream);
  const sluice::Box requested = from_thrift(region);
  throw_unless_ok(steer::check_injection(known, dtype, requested));
  const sluice::Box box = requested.resolved(known.shape);
  StagedInjection staged;
  staged.stream = stream;
  staged.dtype = dtype;
  staged.region = box;
  staged.expected_bytes = steer::injection_bytes(known, box);
  staged.allow_nonfinite = allow_nonfinite;
  auto opened = m_injections.open(std::move(staged));
  if (!opened.refused.empty()) {
    raise<gen::BadRequest>(opened.refused);
  }
  return opened.id;
}

int64_t SteeringHandler::add_injection_data(const std::string& token, int64_t injection,
                                            const std::string& data) {
  check_token(token);
  const auto added = m_injections.add(injection, data);
  if (!added.refused.empty()) {
    raise<gen::BadRequest>(added.refused);
  }
  return added.received;
}

int64_t SteeringHandler::commit_injection(const std::string& token, int64_t injection) {
  check_token(token);
  auto taken = m_injections.take(injection);
  if (!taken.injection) {
    raise<gen::BadRequest>(taken.refused);
  }
  const auto& staged = *taken.injection;
  // Checked here, once every byte is in: the simulation writes what it is given.
  if (!staged.allow_nonfinite) {
    throw_unless_ok(steer::check_injection_values(
        staged.stream, sluice::parse_dtype(staged.dtype).value_or(sluice::Dtype::u8), staged.data));
  }
  const auto response = m_simulation->inject(staged.stream, staged.dtype, staged.region,
                                             staged.data, m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

}  // namespace sluice::steering
