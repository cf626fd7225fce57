#include "steering_client.hpp"

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

#include <algorithm>
#include <cstdlib>

namespace sluice::steering {

namespace th = apache::thrift;

namespace {

gen::Region to_thrift(const Box& box) {
  gen::Region region;
  region.start = box.start;
  region.count = box.count;
  return region;
}

}  // namespace

Client::Client(ClientOptions options) : m_token(std::move(options.token)) {
  if (m_token.empty()) {
    if (const char* token = std::getenv("SLUICE_STEER_TOKEN")) {
      m_token = token;
    }
  }
  // Replies are bounded like requests: a status with many streams stays far below.
  auto config = std::make_shared<th::TConfiguration>(1 << 20, 1 << 20);
  auto socket = std::make_shared<th::transport::TSocket>(options.host, options.port, config);
  socket->setConnTimeout(static_cast<int>(options.connect_timeout.count()));
  m_transport = std::make_shared<th::transport::TFramedTransport>(socket, config);
  m_client = std::make_unique<gen::SteeringClient>(
      std::make_shared<th::protocol::TBinaryProtocol>(m_transport));
  m_transport->open();
}

Client::~Client() {
  try {
    m_transport->close();
  } catch (const th::TException&) {
    // Closing a connection the server already dropped: nothing to do.
  }
}

gen::Status Client::status() {
  gen::Status status;
  m_client->status(status, m_token);
  return status;
}

std::vector<gen::Parameter> Client::parameters() {
  std::vector<gen::Parameter> params;
  m_client->list_parameters(params, m_token);
  return params;
}

gen::Value Client::get(const std::string& name) {
  gen::Value value;
  m_client->get_parameter(value, m_token, name);
  return value;
}

std::int64_t Client::set_value(const std::string& name, const gen::Value& value) {
  return m_client->set_parameter(m_token, name, value);
}

std::int64_t Client::set(const std::string& name, double value) {
  gen::Value v;
  v.__set_f64(value);
  return set_value(name, v);
}

std::int64_t Client::set(const std::string& name, std::int64_t value) {
  gen::Value v;
  v.__set_integer(value);
  return set_value(name, v);
}

std::int64_t Client::set(const std::string& name, bool value) {
  gen::Value v;
  v.__set_flag(value);
  return set_value(name, v);
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
  return m_client->control_stream(m_token, stream, control);
}

std::int64_t Client::inject(const std::string& stream, const Box& region, const std::string& dtype,
                            std::span<const std::byte> data) {
  const std::int64_t id = m_client->open_injection(m_token, stream, to_thrift(region), dtype);
  for (std::size_t sent = 0; sent < data.size();) {
    const std::size_t bytes = std::min(chunk_bytes, data.size() - sent);
    m_client->add_injection_data(
        m_token, id, std::string(reinterpret_cast<const char*>(data.data()) + sent, bytes));
    sent += bytes;
  }
  return m_client->commit_injection(m_token, id);
}

std::int64_t Client::pause() { return m_client->pause(m_token); }
std::int64_t Client::resume() { return m_client->resume(m_token); }
std::int64_t Client::stop() { return m_client->stop(m_token); }

}  // namespace sluice::steering
