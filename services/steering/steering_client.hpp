#pragma once
// sluice::steering::Client: steer a running sluice job from C++, typically from an
// analytics program closing the loop (read a stream, decide, change a parameter).
// A thin layer over the Thrift client generated from sluice_steering.thrift: one
// connection, typed calls, injections split into chunks under the server's frame
// bound. Failures are the IDL's typed exceptions (UnknownName, OutOfRange, BadRegion,
// ...; all derive from apache::thrift::TException), or a TTransportException if the
// server cannot be reached. Not thread-safe: one Client per thread.
//
//   sluice::steering::Client steer({.port = port});
//   std::int64_t from = steer.set("hot", 50.0);   // holds from iteration `from`
//   steer.control_stream("temperature", {.every = 10});
//
// Link with sluice_steering_client_dep; simulations never need it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/core/box.hpp"

#include "Steering.h"

namespace sluice::steering {

namespace gen = ::sluice::steering::thrift;

struct ClientOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  /// The server's token; empty takes SLUICE_STEER_TOKEN from the environment.
  std::string token;
  std::chrono::milliseconds connect_timeout{5000};
};

/// A box of a stream (sluice::Box); Box{} stands for the whole array.
using sluice::Box;

/// A change to a stream's exposure; unset fields keep their value.
struct StreamChange {
  std::optional<bool> enabled;
  std::optional<std::int64_t> every;
  std::optional<Box> region;
};

class Client {
 public:
  /// Connects; TTransportException if the server cannot be reached.
  explicit Client(ClientOptions options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  gen::Status status();
  std::vector<gen::Parameter> parameters();
  gen::Value get(const std::string& name);

  /// Each returns the iteration from which the change holds on every simulation rank.
  std::int64_t set(const std::string& name, double value);
  std::int64_t set(const std::string& name, std::int64_t value);
  std::int64_t set(const std::string& name, bool value);
  std::int64_t control_stream(const std::string& stream, const StreamChange& change);
  /// `data`: the region's elements, row-major, of the stream's dtype ("f64", ...).
  std::int64_t inject(const std::string& stream, const Box& region, const std::string& dtype,
                      std::span<const std::byte> data);
  template <typename T>
  std::int64_t inject(const std::string& stream, const Box& region, std::span<const T> data) {
    return inject(stream, region, dtype_name_of<T>(), std::as_bytes(data));
  }
  std::int64_t pause();
  std::int64_t resume();
  std::int64_t stop();

  /// The generated client, for what this class does not wrap.
  gen::SteeringClient& thrift() noexcept { return *m_client; }

  /// Bytes per add_injection_data call: under the server's 1 MiB frame bound.
  static constexpr std::size_t chunk_bytes = 960 * 1024;

 private:
  template <typename T>
  static std::string dtype_name_of() {
    if constexpr (std::is_same_v<T, float>) {
      return "f32";
    } else if constexpr (std::is_same_v<T, double>) {
      return "f64";
    } else if constexpr (std::is_same_v<T, std::int32_t>) {
      return "i32";
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      return "i64";
    } else {
      static_assert(std::is_same_v<T, std::uint8_t>, "streams carry f32, f64, i32, i64, u8");
      return "u8";
    }
  }
  std::int64_t set_value(const std::string& name, const gen::Value& value);

  std::string m_token;
  std::shared_ptr<apache::thrift::transport::TTransport> m_transport;
  std::unique_ptr<gen::SteeringClient> m_client;
};

}  // namespace sluice::steering
