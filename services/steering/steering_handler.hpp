#pragma once
// The Thrift handler of the steering service: checks the token and the request,
// forwards it to the simulation through a SimulationBackend (a sluice::steer::Link in
// the server), and turns each answer into the IDL's value or typed exception.
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "Steering.h"
#include "injection_staging.hpp"
#include "simulation_backend.hpp"

namespace sluice::steering {

namespace gen = ::sluice::steering::thrift;

// Stream counters, refreshed by the thread that owns MPI (the handler's threads must
// not call MPI).
class StreamBoard {
 public:
  void publish(std::vector<gen::StreamStatus> streams);
  [[nodiscard]] std::vector<gen::StreamStatus> snapshot() const;

 private:
  mutable std::mutex m_mutex;
  std::vector<gen::StreamStatus> m_streams;
};

struct HandlerOptions {
  std::string token;  // empty: no token required (loopback only)
  std::chrono::milliseconds timeout{10000};
};

class SteeringHandler final : public gen::SteeringIf {
 public:
  // `simulation` and `streams` must outlive the handler.
  SteeringHandler(SimulationBackend& simulation, const StreamBoard& streams,
                  HandlerOptions options);

  void status(gen::Status& result, const std::string& token) override;
  void list_parameters(std::vector<gen::Parameter>& result, const std::string& token) override;
  void get_parameter(gen::Value& result, const std::string& token,
                     const std::string& name) override;
  int64_t set_parameter(const std::string& token, const std::string& name,
                        const gen::Value& value) override;
  int64_t pause(const std::string& token) override;
  int64_t resume(const std::string& token) override;
  int64_t stop(const std::string& token) override;
  int64_t control_stream(const std::string& token, const std::string& stream,
                         const gen::StreamControl& control) override;
  int64_t open_injection(const std::string& token, const std::string& stream,
                         const gen::Region& region, const std::string& dtype,
                         bool allow_nonfinite) override;
  int64_t add_injection_data(const std::string& token, int64_t injection,
                             const std::string& data) override;
  int64_t commit_injection(const std::string& token, int64_t injection) override;

 private:
  void check_token(const std::string& token) const;
  steer::Response status_or_throw();

  SimulationBackend* m_simulation;
  const StreamBoard* m_streams;
  HandlerOptions m_options;
  InjectionStaging m_injections;
};

// Equal in time independent of where the strings differ.
[[nodiscard]] bool same_token(const std::string& given, const std::string& expected) noexcept;

}  // namespace sluice::steering
