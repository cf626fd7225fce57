#pragma once
// What the steering handler asks of the job: the simulation's answers to requests,
// the processes' roles and the graphs on the scheduler ring. An interface so that the
// handler's whole request path (Thrift decoding, token, names, values, regions,
// injections) runs without MPI: the server implements it with a steer::Link
// (link_backend.hpp); the fuzz target of the Thrift request path
// (tests/fuzz/fuzz_thrift_request.cpp) with a fake simulation.
#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/box.hpp"
#include "sluice/graph/status.hpp"
#include "sluice/steer/response.hpp"
#include "sluice/steer/stream_control.hpp"
#include "sluice/steer/value.hpp"

namespace sluice::steering {

class SimulationBackend {
 public:
  SimulationBackend() = default;
  SimulationBackend(const SimulationBackend&) = delete;
  SimulationBackend& operator=(const SimulationBackend&) = delete;
  virtual ~SimulationBackend() = default;

  // The requests of steer::Link, with its meaning: each blocks until the answer, the
  // timeout or the simulation's end. Thread-safe (the server calls them from one
  // thread per client).
  virtual steer::Response status(std::chrono::milliseconds timeout) = 0;
  virtual steer::Response set(std::string_view name, const steer::Value& value,
                              std::chrono::milliseconds timeout) = 0;
  virtual steer::Response pause(std::chrono::milliseconds timeout) = 0;
  virtual steer::Response resume(std::chrono::milliseconds timeout) = 0;
  virtual steer::Response stop(std::chrono::milliseconds timeout) = 0;
  virtual steer::Response control_stream(std::string_view stream,
                                         const steer::StreamControl& control,
                                         std::chrono::milliseconds timeout) = 0;
  virtual steer::Response inject(std::string_view stream, std::string_view dtype, const Box& region,
                                 std::span<const std::byte> data,
                                 std::chrono::milliseconds timeout) = 0;

  // Role name ("simulation", ...) -> the world ranks of that role; roles no process
  // has are absent. Thread-safe.
  [[nodiscard]] virtual std::map<std::string, std::vector<std::int32_t>> roles() const = 0;
  // The graphs running on the scheduler ring, from the roots that answer within
  // `timeout`. Thread-safe.
  [[nodiscard]] virtual std::vector<graph::GraphStatus> graphs(
      std::chrono::milliseconds timeout) = 0;
};

}  // namespace sluice::steering
