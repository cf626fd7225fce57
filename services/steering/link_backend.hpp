#pragma once
// The steering server's SimulationBackend: requests go to the simulation through a
// steer::Link (carried over MPI by the thread that pumps it), roles come from the
// Runtime, graphs from the scheduler ring.
#include "simulation_backend.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/steer/link.hpp"

namespace sluice::steering {

class LinkBackend final : public SimulationBackend {
 public:
  // `runtime` and `link` must outlive the backend.
  LinkBackend(const Runtime& runtime, steer::Link& link) : m_runtime(&runtime), m_link(&link) {}

  steer::Response status(std::chrono::milliseconds timeout) override;
  steer::Response set(std::string_view name, const steer::Value& value,
                      std::chrono::milliseconds timeout) override;
  steer::Response pause(std::chrono::milliseconds timeout) override;
  steer::Response resume(std::chrono::milliseconds timeout) override;
  steer::Response stop(std::chrono::milliseconds timeout) override;
  steer::Response control_stream(std::string_view stream, const steer::StreamControl& control,
                                 std::chrono::milliseconds timeout) override;
  steer::Response inject(std::string_view stream, std::string_view dtype, const Box& region,
                         std::span<const std::byte> data,
                         std::chrono::milliseconds timeout) override;
  [[nodiscard]] std::map<std::string, std::vector<std::int32_t>> roles() const override;
  [[nodiscard]] std::vector<graph::GraphStatus> graphs(std::chrono::milliseconds timeout) override;

 private:
  const Runtime* m_runtime;
  steer::Link* m_link;
};

}  // namespace sluice::steering
