#include "link_backend.hpp"

#include "sluice/graph/listing.hpp"
#include "sluice/runtime/role.hpp"

namespace sluice::steering {

steer::Response LinkBackend::status(std::chrono::milliseconds timeout) {
  return m_link->status(timeout);
}

steer::Response LinkBackend::set(std::string_view name, const steer::Value& value,
                                 std::chrono::milliseconds timeout) {
  return m_link->set(name, value, timeout);
}

steer::Response LinkBackend::pause(std::chrono::milliseconds timeout) {
  return m_link->pause(timeout);
}

steer::Response LinkBackend::resume(std::chrono::milliseconds timeout) {
  return m_link->resume(timeout);
}

steer::Response LinkBackend::stop(std::chrono::milliseconds timeout) {
  return m_link->stop(timeout);
}

steer::Response LinkBackend::control_stream(std::string_view stream,
                                            const steer::StreamControl& control,
                                            std::chrono::milliseconds timeout) {
  return m_link->control_stream(stream, control, timeout);
}

steer::Response LinkBackend::inject(std::string_view stream, std::string_view dtype,
                                    const Box& region, std::span<const std::byte> data,
                                    std::chrono::milliseconds timeout) {
  return m_link->inject(stream, dtype, region, data, timeout);
}

std::map<std::string, std::vector<std::int32_t>> LinkBackend::roles() const {
  std::map<std::string, std::vector<std::int32_t>> roles;
  for (Role role : all_roles) {
    const auto ranks = m_runtime->ranks_of(role);
    if (!ranks.empty()) {
      roles[std::string(role_name(role))] = std::vector<std::int32_t>(ranks.begin(), ranks.end());
    }
  }
  return roles;
}

std::vector<graph::GraphStatus> LinkBackend::graphs(std::chrono::milliseconds timeout) {
  return graph::graphs_on_ring(*m_runtime, timeout);
}

}  // namespace sluice::steering
