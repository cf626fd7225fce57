#pragma once
/// @file
/// sluice::steering::Client: steer a running sluice job from C++, typically from an
/// analytics program closing the loop (read a stream, decide, change a parameter).
///
/// One connection to `sluice-steering-server`, typed calls, injections split into
/// chunks under the server's frame bound. The interface is plain C++: the Thrift
/// client it drives stays inside the library, and every failure is a
/// sluice::steering::Error whose kind() says which (the IDL's exceptions, or
/// `connection` when the server cannot be reached or the connection breaks).
/// Not thread-safe: one Client per thread.
///
/// @code
/// #include "sluice/steering/client.hpp"
///
/// sluice::steering::Client steer({.port = port});
/// std::int64_t from = steer.set("hot", 50.0);   // holds from iteration `from`
/// steer.control_stream("temperature", {.every = 10});
/// @endcode
///
/// Link with the `sluice-steering-client` library (pkg-config `sluice-steering-client`);
/// simulations never need it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"

namespace sluice::steering {

struct ClientOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  /// The server's token; empty takes SLUICE_STEER_TOKEN from the environment.
  std::string token;
  std::chrono::milliseconds connect_timeout{5000};
};

/// A box of a stream (sluice::Box, header only: the client does not link libsluice);
/// Box{} stands for the whole array.
using sluice::Box;

/// A change to a stream's exposure; unset fields keep their value.
struct StreamChange {
  std::optional<bool> enabled;
  std::optional<std::int64_t> every;
  std::optional<Box> region;
};

/// A parameter's value: f64, i64 or bool.
using Value = std::variant<double, std::int64_t, bool>;

enum class ValueType { f64, i64, boolean };

/// A steerable parameter as the simulation declared it, with its current value.
struct Parameter {
  std::string name;
  ValueType type = ValueType::f64;
  Value value;
  std::optional<Value> min;
  std::optional<Value> max;
  std::string doc;
  /// The iteration from which the current value holds.
  std::int64_t since_iteration = 0;
};

/// A stream's progress and what steering lets it publish.
struct StreamStatus {
  std::string name;
  std::string dtype;  ///< "f64", "f32", "i64", "i32", "u8"
  std::vector<std::int64_t> shape;
  std::int64_t newest_iteration = -1;  ///< committed by every producer; -1: none yet
  std::int64_t published = 0;
  std::int64_t skipped = 0;
  std::int64_t bytes_pulled = 0;
  std::int64_t active_readers = 0;
  bool closed = false;
  bool enabled = true;
  std::int64_t every = 1;
  Box region;                       ///< both empty: the whole array
  std::int64_t exposure_since = 0;  ///< the iteration from which enabled/every/region hold
  std::int64_t withheld = 0;        ///< iterations not published because of them
  bool injectable = false;          ///< whether the simulation takes injections
  std::int64_t evicted = 0;         ///< readers evicted for outstaying the reader lease
};

/// A stream graph running on the scheduler ring, as its root knows it.
struct GraphStatus {
  std::string name;
  std::int32_t root = -1;                ///< world rank merging its partials
  std::vector<std::int32_t> partitions;  ///< world ranks running its partitions
  std::int64_t last_iteration = -1;
  std::int64_t iterations = 0;
  std::int64_t failed_iterations = 0;
  std::int64_t skipped_iterations = 0;
  std::string last_error;
  std::int64_t last_error_iteration = -1;
  double median_us = 0.0;  ///< the work of an iteration
  double max_us = 0.0;
  std::int64_t tasks_per_iteration = 0;
  std::int64_t callbacks_dropped = 0;
  std::int64_t compilations = 0;
  double latency_median_us = 0.0;  ///< from the inputs' commit to the outputs
  double latency_max_us = 0.0;
  std::string stopped_early;  ///< why it ended before its inputs did, or empty
};

struct Status {
  std::int64_t iteration = -1;  ///< the last iteration the simulation ended
  bool paused = false;
  bool finished = false;
  std::vector<Parameter> parameters;
  std::vector<StreamStatus> streams;
  std::map<std::string, std::vector<std::int32_t>> roles;  ///< role name -> world ranks
  std::vector<GraphStatus> graphs;  ///< the stream graphs on the scheduler ring
  /// What the simulation waits on (a reader holding a slot of a `block` stream), or
  /// empty.
  std::string waiting;
};

/// What went wrong with a call: the server's typed refusals, or the connection.
enum class ErrorKind {
  connection,           ///< cannot reach the server, or the connection broke
  unknown_name,         ///< no parameter or stream of that name
  wrong_type,           ///< a value or dtype of another type than the target's
  out_of_range,         ///< outside the parameter's bounds, or not finite
  bad_request,          ///< malformed request (an empty value, an unknown injection)
  not_permitted,        ///< wrong or missing token
  simulation_finished,  ///< the simulation has ended
  timeout,              ///< the simulation did not reach an iteration boundary in time
  bad_region,           ///< a region outside the array or of the wrong dimensions
};

/// "unknown name", "out of range", ...: how the CLI and logs name a kind.
[[nodiscard]] const char* kind_name(ErrorKind kind) noexcept;

/// Every failure of a Client call. what() is the server's message (or the
/// transport's, for ErrorKind::connection).
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}
  [[nodiscard]] ErrorKind kind() const noexcept { return m_kind; }

 private:
  ErrorKind m_kind;
};

class Client {
 public:
  /// Connects; Error(ErrorKind::connection) if the server cannot be reached.
  /// Movable; a moved-from Client may only be assigned to or destroyed.
  explicit Client(ClientOptions options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  Status status();
  std::vector<Parameter> parameters();
  Value get(const std::string& name);

  /// Each returns the iteration from which the change holds on every simulation rank.
  std::int64_t set(const std::string& name, const Value& value);
  std::int64_t set(const std::string& name, double value) { return set(name, Value(value)); }
  std::int64_t set(const std::string& name, std::int64_t value) { return set(name, Value(value)); }
  std::int64_t set(const std::string& name, bool value) { return set(name, Value(value)); }
  std::int64_t control_stream(const std::string& stream, const StreamChange& change);
  /// `data`: the region's elements, row-major, of the stream's dtype. Floating-point
  /// data must be finite (out_of_range otherwise) unless `allow_nonfinite`.
  std::int64_t inject(const std::string& stream, const Box& region, sluice::Dtype dtype,
                      std::span<const std::byte> data, bool allow_nonfinite = false);
  template <typename T>
  std::int64_t inject(const std::string& stream, const Box& region, std::span<const T> data,
                      bool allow_nonfinite = false) {
    return inject(stream, region, sluice::dtype_of<T>(), std::as_bytes(data), allow_nonfinite);
  }
  std::int64_t pause();
  std::int64_t resume();
  std::int64_t stop();

  /// Bytes per add_injection_data call: under the server's 1 MiB frame bound.
  static constexpr std::size_t chunk_bytes = 960 * 1024;

 private:
  struct Impl;  // the Thrift transport and generated client
  std::unique_ptr<Impl> m_impl;
};

}  // namespace sluice::steering
