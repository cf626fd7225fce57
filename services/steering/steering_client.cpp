#include "sluice/steering/client.hpp"

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

#include <algorithm>
#include <cstdlib>

#include "Steering.h"

namespace sluice::steering {

namespace th = apache::thrift;
namespace gen = ::sluice::steering::thrift;

struct Client::Impl {
  std::string token;
  std::shared_ptr<th::transport::TTransport> transport;
  std::unique_ptr<gen::SteeringClient> client;
};

namespace {

gen::Region to_thrift(const Box& box) {
  gen::Region region;
  region.start = box.start;
  region.count = box.count;
  return region;
}

gen::Value to_thrift(const Value& value) {
  gen::Value out;
  if (const auto* f64 = std::get_if<double>(&value)) {
    out.__set_f64(*f64);
  } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    out.__set_integer(*integer);
  } else {
    out.__set_flag(std::get<bool>(value));
  }
  return out;
}

Value from_thrift(const gen::Value& value) {
  if (value.__isset.f64) {
    return value.f64;
  }
  if (value.__isset.integer) {
    return value.integer;
  }
  return value.flag;
}

ValueType from_thrift(gen::ValueType::type type) {
  switch (type) {
    case gen::ValueType::F64:
      return ValueType::f64;
    case gen::ValueType::I64:
      return ValueType::i64;
    default:
      return ValueType::boolean;
  }
}

Parameter from_thrift(const gen::Parameter& p) {
  Parameter out;
  out.name = p.name;
  out.type = from_thrift(p.type);
  out.value = from_thrift(p.value);
  if (p.__isset.min) {
    out.min = from_thrift(p.min);
  }
  if (p.__isset.max) {
    out.max = from_thrift(p.max);
  }
  out.doc = p.doc;
  out.since_iteration = p.since_iteration;
  return out;
}

StreamStatus from_thrift(const gen::StreamStatus& s) {
  StreamStatus out;
  out.name = s.name;
  out.dtype = s.dtype;
  out.shape = s.shape;
  out.newest_iteration = s.newest_iteration;
  out.published = s.published;
  out.skipped = s.skipped;
  out.bytes_pulled = s.bytes_pulled;
  out.active_readers = s.active_readers;
  out.closed = s.closed;
  out.enabled = s.enabled;
  out.every = s.every;
  out.region = {s.region.start, s.region.count};
  out.exposure_since = s.exposure_since;
  out.withheld = s.withheld;
  out.evicted = s.evicted;
  out.injectable = s.injectable;
  return out;
}

// Runs a call of the generated client; its typed exceptions become steering::Error.
template <typename Call>
auto translated(Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const gen::UnknownName& e) {
    throw Error(ErrorKind::unknown_name, e.message);
  } catch (const gen::WrongType& e) {
    throw Error(ErrorKind::wrong_type, e.message);
  } catch (const gen::OutOfRange& e) {
    throw Error(ErrorKind::out_of_range, e.message);
  } catch (const gen::BadRequest& e) {
    throw Error(ErrorKind::bad_request, e.message);
  } catch (const gen::NotPermitted& e) {
    throw Error(ErrorKind::not_permitted, e.message);
  } catch (const gen::SimulationFinished& e) {
    throw Error(ErrorKind::simulation_finished, e.message);
  } catch (const gen::Timeout& e) {
    throw Error(ErrorKind::timeout, e.message);
  } catch (const gen::BadRegion& e) {
    throw Error(ErrorKind::bad_region, e.message);
  } catch (const th::TException& e) {
    // Transport and protocol failures: the connection is of no further use.
    throw Error(ErrorKind::connection, e.what());
  }
}

}  // namespace

const char* kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::connection:
      return "connection";
    case ErrorKind::unknown_name:
      return "unknown name";
    case ErrorKind::wrong_type:
      return "wrong type";
    case ErrorKind::out_of_range:
      return "out of range";
    case ErrorKind::bad_request:
      return "bad request";
    case ErrorKind::not_permitted:
      return "not permitted";
    case ErrorKind::simulation_finished:
      return "simulation finished";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::bad_region:
      return "bad region";
  }
  return "error";
}

Client::Client(ClientOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->token = std::move(options.token);
  if (m_impl->token.empty()) {
    if (const char* token = std::getenv("SLUICE_STEER_TOKEN")) {
      m_impl->token = token;
    }
  }
  translated([&] {
    // Replies are bounded like requests: a status with many streams stays far below.
    auto config = std::make_shared<th::TConfiguration>(1 << 20, 1 << 20);
    auto socket = std::make_shared<th::transport::TSocket>(options.host, options.port, config);
    socket->setConnTimeout(static_cast<int>(options.connect_timeout.count()));
    m_impl->transport = std::make_shared<th::transport::TFramedTransport>(socket, config);
    m_impl->client = std::make_unique<gen::SteeringClient>(
        std::make_shared<th::protocol::TBinaryProtocol>(m_impl->transport));
    m_impl->transport->open();
  });
}

Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Client::~Client() {
  if (!m_impl || !m_impl->transport) {
    return;
  }
  try {
    m_impl->transport->close();
  } catch (const th::TException&) {
    // Closing a connection the server already dropped: nothing to do.
  }
}

Status Client::status() {
  gen::Status status;
  translated([&] { m_impl->client->status(status, m_impl->token); });
  Status out;
  out.iteration = status.iteration;
  out.paused = status.paused;
  out.finished = status.finished;
  out.waiting = status.waiting;
  for (const auto& p : status.parameters) {
    out.parameters.push_back(from_thrift(p));
  }
  for (const auto& s : status.streams) {
    out.streams.push_back(from_thrift(s));
  }
  out.roles = status.roles;
  for (const auto& g : status.graphs) {
    out.graphs.push_back({.name = g.name,
                          .root = g.root,
                          .partitions = g.partitions,
                          .last_iteration = g.last_iteration,
                          .iterations = g.iterations,
                          .failed_iterations = g.failed_iterations,
                          .skipped_iterations = g.skipped_iterations,
                          .last_error = g.last_error,
                          .last_error_iteration = g.last_error_iteration,
                          .median_us = g.median_us,
                          .max_us = g.max_us,
                          .tasks_per_iteration = g.tasks_per_iteration,
                          .callbacks_dropped = g.callbacks_dropped,
                          .compilations = g.compilations,
                          .latency_median_us = g.latency_median_us,
                          .latency_max_us = g.latency_max_us,
                          .stopped_early = g.stopped_early});
  }
  return out;
}

std::vector<Parameter> Client::parameters() {
  std::vector<gen::Parameter> params;
  translated([&] { m_impl->client->list_parameters(params, m_impl->token); });
  std::vector<Parameter> out;
  out.reserve(params.size());
  for (const auto& p : params) {
    out.push_back(from_thrift(p));
  }
  return out;
}

Value Client::get(const std::string& name) {
  gen::Value value;
  translated([&] { m_impl->client->get_parameter(value, m_impl->token, name); });
  return from_thrift(value);
}

std::int64_t Client::set(const std::string& name, const Value& value) {
  return translated(
      [&] { return m_impl->client->set_parameter(m_impl->token, name, to_thrift(value)); });
}

std::int64_t Client::control_stream(const std::string& stream, const StreamChange& change) {
  gen::StreamControl control;
  if (change.enabled) {
    control.__set_enabled(*change.enabled);
  }
  if (change.every) {
    control.__set_every(*change.every);
  }
  if (change.region) {
    control.__set_region(to_thrift(*change.region));
  }
  return translated([&] { return m_impl->client->control_stream(m_impl->token, stream, control); });
}

std::int64_t Client::inject(const std::string& stream, const Box& region, sluice::Dtype dtype,
                            std::span<const std::byte> data, bool allow_nonfinite) {
  return translated([&] {
    auto& client = *m_impl->client;
    const std::string& token = m_impl->token;
    const std::int64_t id = client.open_injection(
        token, stream, to_thrift(region), std::string(sluice::dtype_name(dtype)), allow_nonfinite);
    for (std::size_t sent = 0; sent < data.size();) {
      const std::size_t bytes = std::min(chunk_bytes, data.size() - sent);
      client.add_injection_data(
          token, id, std::string(reinterpret_cast<const char*>(data.data()) + sent, bytes));
      sent += bytes;
    }
    return client.commit_injection(token, id);
  });
}

std::int64_t Client::pause() {
  return translated([&] { return m_impl->client->pause(m_impl->token); });
}
std::int64_t Client::resume() {
  return translated([&] { return m_impl->client->resume(m_impl->token); });
}
std::int64_t Client::stop() {
  return translated([&] { return m_impl->client->stop(m_impl->token); });
}

}  // namespace sluice::steering
