#pragma once
// How the steering server reads and writes its clients' bytes: framed transport and
// strict binary protocol, with every frame, message, string and container bounded. In
// one place so that the server and the fuzz target of its request path
// (tests/fuzz/fuzz_thrift_request.cpp) decode requests the same way.
#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <memory>
#include <utility>

namespace sluice::steering {

// Requests carry names and small values: 1 MiB bounds every frame and message;
// injections larger than that come in chunks (open_injection, add_injection_data).
inline constexpr int max_frame_bytes = 1 << 20;
// Regions have a few dimensions; nothing a client sends holds more elements.
inline constexpr int max_container_elements = 4096;

// Framed transport with the frame and message bounds of `config`.
class BoundedFramedTransportFactory : public apache::thrift::transport::TTransportFactory {
 public:
  explicit BoundedFramedTransportFactory(std::shared_ptr<apache::thrift::TConfiguration> config)
      : m_config(std::move(config)) {}
  std::shared_ptr<apache::thrift::transport::TTransport> getTransport(
      std::shared_ptr<apache::thrift::transport::TTransport> transport) override {
    return std::make_shared<apache::thrift::transport::TFramedTransport>(transport, m_config);
  }

 private:
  std::shared_ptr<apache::thrift::TConfiguration> m_config;
};

inline std::shared_ptr<apache::thrift::transport::TTransportFactory> bounded_transport_factory() {
  return std::make_shared<BoundedFramedTransportFactory>(
      std::make_shared<apache::thrift::TConfiguration>(max_frame_bytes, max_frame_bytes));
}

// Strict: a message without the binary protocol's version word is refused.
inline std::shared_ptr<apache::thrift::protocol::TProtocolFactory> bounded_protocol_factory() {
  return std::make_shared<apache::thrift::protocol::TBinaryProtocolFactory>(
      max_frame_bytes, max_container_elements, /*strict_read=*/true, /*strict_write=*/true);
}

}  // namespace sluice::steering
