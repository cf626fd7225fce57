#include "steering_handler.hpp"

#include <cmath>
#include <utility>

#include "sluice/runtime/role.hpp"

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

// Throws the IDL exception of a failed answer; returns on success.
void throw_unless_ok(const steer::Response& response) {
  switch (response.code) {
    case steer::Code::ok:
      return;
    case steer::Code::unknown_name:
      raise<gen::UnknownName>(response.message);
    case steer::Code::wrong_type:
      raise<gen::WrongType>(response.message);
    case steer::Code::out_of_range:
      raise<gen::OutOfRange>(response.message);
    case steer::Code::not_permitted:
      raise<gen::NotPermitted>(response.message);
    case steer::Code::finished:
      raise<gen::SimulationFinished>(response.message);
    case steer::Code::timeout:
      raise<gen::Timeout>(response.message);
    case steer::Code::bad_request:
      break;
  }
  raise<gen::BadRequest>(response.message);
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

SteeringHandler::SteeringHandler(const Runtime& runtime, steer::Link& link,
                                 const StreamBoard& streams, HandlerOptions options)
    : m_runtime(&runtime), m_link(&link), m_streams(&streams), m_options(std::move(options)) {}

void SteeringHandler::check_token(const std::string& token) const {
  if (!m_options.token.empty() && !same_token(token, m_options.token)) {
    raise<gen::NotPermitted>("wrong or missing token");
  }
}

steer::Response SteeringHandler::status_or_throw() {
  auto response = m_link->status(m_options.timeout);
  throw_unless_ok(response);
  return response;
}

void SteeringHandler::status(gen::Status& result, const std::string& token) {
  check_token(token);
  const auto response = status_or_throw();
  result.iteration = response.iteration;
  result.paused = response.paused;
  result.finished = false;
  for (const auto& entry : response.params) {
    result.parameters.push_back(to_thrift(entry));
  }
  result.streams = m_streams->snapshot();
  for (Role role : all_roles) {
    const auto ranks = m_runtime->ranks_of(role);
    if (!ranks.empty()) {
      result.roles[std::string(role_name(role))] = std::vector<int32_t>(ranks.begin(), ranks.end());
    }
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
  const auto response = m_link->set(name, v, m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::pause(const std::string& token) {
  check_token(token);
  const auto response = m_link->pause(m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::resume(const std::string& token) {
  check_token(token);
  const auto response = m_link->resume(m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

int64_t SteeringHandler::stop(const std::string& token) {
  check_token(token);
  const auto response = m_link->stop(m_options.timeout);
  throw_unless_ok(response);
  return response.iteration;
}

}  // namespace sluice::steering
