// Fuzz target: the steering server's request path. The input is what a client sends on
// its connection; it is read with the server's own transport and protocol (framed,
// strict binary, bounded: steering_wire.hpp), decoded by the generated processor and
// answered by the real SteeringHandler, request after request as the server's
// connection loop does, until the bytes end or a malformed request ends the
// connection. Only the simulation behind the handler is fake (fake_simulation.hpp):
// no MPI is started.
//
// The IDL's exceptions are answers to the client, and a Thrift exception out of the
// processor only ends the connection (the server does the same). Any other exception
// thrown by the handler is a bug even though the processor catches it: the client would
// get an untyped internal error instead of UnknownName, BadRegion... It aborts the run.
#include <thrift/TProcessor.h>
#include <thrift/transport/TBufferTransports.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

#include "Steering.h"
#include "fake_simulation.hpp"
#include "steering_handler.hpp"
#include "steering_wire.hpp"

namespace {

namespace th = apache::thrift;
namespace gen = sluice::steering::thrift;

// Called by the generated processor inside its catch (const std::exception&) block,
// which is only reached by exceptions the IDL does not declare.
class AbortOnUndeclaredException final : public th::TProcessorEventHandler {
 public:
  void handlerError(void* /*ctx*/, const char* fn_name) override {
    try {
      throw;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_thrift_request: %s threw an exception outside the IDL: %s\n",
                   fn_name, e.what());
    }
    std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto transports = sluice::steering::bounded_transport_factory();
  static const auto protocols = sluice::steering::bounded_protocol_factory();

  // A fresh job per input, so that an input's outcome does not depend on earlier ones
  // (injection ids, parameter values).
  sluice::fuzz::FakeSimulation simulation;
  sluice::steering::StreamBoard streams;
  streams.publish(simulation.board());
  auto handler = std::make_shared<sluice::steering::SteeringHandler>(
      simulation, streams,
      sluice::steering::HandlerOptions{sluice::fuzz::steering_token, std::chrono::seconds(1)});
  gen::SteeringProcessor processor(handler);
  processor.setEventHandler(std::make_shared<AbortOnUndeclaredException>());

  // TMemoryBuffer only reads an observed buffer; its constructor is not const-correct.
  auto client_bytes = std::make_shared<th::transport::TMemoryBuffer>(
      const_cast<std::uint8_t*>(data), static_cast<std::uint32_t>(size),
      th::transport::TMemoryBuffer::OBSERVE);
  auto answers = std::make_shared<th::transport::TMemoryBuffer>();
  const auto in = protocols->getProtocol(transports->getTransport(client_bytes));
  const auto out = protocols->getProtocol(transports->getTransport(answers));
  try {
    // Each call reads at least a frame header or throws, so this ends.
    while (processor.process(in, out, nullptr)) {
      answers->resetBuffer();
    }
  } catch (const th::TException&) {
    // The end of the bytes (END_OF_FILE), or a malformed or oversized request: the
    // server ends the connection (TConnectedClient::run).
  }
  return 0;
}
