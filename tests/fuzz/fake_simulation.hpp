#pragma once
// The simulation behind the steering handler in the fuzz target of the Thrift request
// path (fuzz_thrift_request.cpp): a SimulationBackend that answers every request at
// once, as a running simulation would, without MPI. It decides with the simulation's
// own checks (ParamTable::check_set, check_control, check_injection), so the handler
// sees the same refusals it would see from a real job. The seed writer
// (make_corpus.cpp) takes the token, parameter and stream names from here.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "Steering.h"
#include "simulation_backend.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/steer/param_table.hpp"
#include "sluice/steer/stream_request_check.hpp"

namespace sluice::fuzz {

// With a token set, every request goes through the token check.
inline constexpr const char* steering_token = "fuzz-token";

class FakeSimulation final : public steering::SimulationBackend {
 public:
  // The iteration the fake simulation has ended; changes hold from the next one.
  static constexpr std::int64_t iteration = 41;

  FakeSimulation() {
    m_params.add({.name = "dt",
                  .type = steer::ValueType::f64,
                  .value = 0.01,
                  .min = 1e-6,
                  .max = 1.0,
                  .doc = "time step"});
    m_params.add({.name = "output_every",
                  .type = steer::ValueType::i64,
                  .value = std::int64_t{10},
                  .min = std::int64_t{1},
                  .max = std::int64_t{1000},
                  .doc = "iterations between outputs"});
    m_params.add({.name = "source_on",
                  .type = steer::ValueType::flag,
                  .value = true,
                  .min = {},
                  .max = {},
                  .doc = "heat source"});
    m_params.add({.name = "alpha",
                  .type = steer::ValueType::f64,
                  .value = 0.5,
                  .min = {},
                  .max = {},
                  .doc = "unbounded"});
    add_stream("temperature", Dtype::f64, {256, 128});
    add_stream("mask", Dtype::u8, {1024, 1024});
    add_stream("velocity", Dtype::f32, {16, 16, 16, 3});
  }

  // The streams as the server's stream catalog would describe them (StreamBoard).
  [[nodiscard]] std::vector<steering::thrift::StreamStatus> board() const {
    std::vector<steering::thrift::StreamStatus> out;
    for (const auto& stream : m_streams) {
      steering::thrift::StreamStatus s;
      s.name = stream.name;
      s.dtype = std::string(dtype_name(stream.dtype));
      s.shape = stream.shape;
      s.newest_iteration = iteration;
      s.published = iteration + 1;
      out.push_back(std::move(s));
    }
    return out;
  }

  steer::Response status(std::chrono::milliseconds /*timeout*/) override {
    const std::lock_guard lock(m_mutex);
    steer::Response response;
    response.iteration = iteration;
    response.paused = m_paused;
    for (const auto& entry : m_params.entries()) {
      response.params.push_back(*entry);
    }
    response.streams = m_streams;
    return response;
  }

  steer::Response set(std::string_view name, const steer::Value& value,
                      std::chrono::milliseconds /*timeout*/) override {
    const std::lock_guard lock(m_mutex);
    const steer::Verdict verdict = m_params.check_set(name, value);
    if (!verdict.ok()) {
      return refused(verdict);
    }
    m_params.set(name, value, iteration + 1);
    return changed();
  }

  steer::Response pause(std::chrono::milliseconds /*timeout*/) override {
    const std::lock_guard lock(m_mutex);
    m_paused = true;
    return changed();
  }

  steer::Response resume(std::chrono::milliseconds /*timeout*/) override {
    const std::lock_guard lock(m_mutex);
    m_paused = false;
    return changed();
  }

  steer::Response stop(std::chrono::milliseconds /*timeout*/) override { return changed(); }

  steer::Response control_stream(std::string_view name, const steer::StreamControl& control,
                                 std::chrono::milliseconds /*timeout*/) override {
    const std::lock_guard lock(m_mutex);
    steer::SteeredStream* stream = find(name);
    if (stream == nullptr) {
      return refused(steer::unknown_stream(name, names()));
    }
    const steer::Verdict verdict = steer::check_control(*stream, control);
    if (!verdict.ok()) {
      return refused(verdict);
    }
    auto& exposure = stream->exposure;
    exposure.enabled = control.enabled.value_or(exposure.enabled);
    exposure.every = control.every.value_or(exposure.every);
    if (control.region) {
      exposure.region = control.region->resolved(stream->shape);
    }
    exposure.since_iteration = iteration + 1;
    return changed();
  }

  steer::Response inject(std::string_view name, std::string_view dtype, const Box& region,
                         std::span<const std::byte> data,
                         std::chrono::milliseconds /*timeout*/) override {
    const std::lock_guard lock(m_mutex);
    const steer::SteeredStream* stream = find(name);
    if (stream == nullptr) {
      return refused(steer::unknown_stream(name, names()));
    }
    const steer::Verdict verdict = steer::check_injection(*stream, dtype, region, data.size());
    return verdict.ok() ? changed() : refused(verdict);
  }

  [[nodiscard]] std::map<std::string, std::vector<std::int32_t>> roles() const override {
    return {{"simulation", {0, 1, 2, 3}}, {"service", {4}}, {"scheduler", {5, 6}}};
  }

  [[nodiscard]] std::vector<graph::GraphStatus> graphs(
      std::chrono::milliseconds /*timeout*/) override {
    graph::GraphStatus g;
    g.name = "energy";
    g.root = 5;
    g.last_iteration = iteration;
    g.iterations = static_cast<std::uint64_t>(iteration + 1);
    return {g};
  }

 private:
  void add_stream(std::string name, Dtype dtype, Extents shape) {
    steer::SteeredStream stream;
    stream.name = std::move(name);
    stream.dtype = dtype;
    stream.shape = std::move(shape);
    stream.injectable = true;
    stream.exposure.region = Box::all(stream.shape);
    m_streams.push_back(std::move(stream));
  }

  steer::SteeredStream* find(std::string_view name) {
    for (auto& stream : m_streams) {
      if (stream.name == name) {
        return &stream;
      }
    }
    return nullptr;
  }

  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& stream : m_streams) {
      out.push_back(stream.name);
    }
    return out;
  }

  static steer::Response refused(const steer::Verdict& verdict) {
    steer::Response response;
    response.code = verdict.code;
    response.message = verdict.message;
    return response;
  }

  static steer::Response changed() {
    steer::Response response;
    response.iteration = iteration + 1;
    return response;
  }

  std::mutex m_mutex;
  steer::ParamTable m_params;
  std::vector<steer::SteeredStream> m_streams;
  bool m_paused = false;
};

}  // namespace sluice::fuzz
