#include <exception>
#include <string>
#include <utility>

#include "consumer_state.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/core/log.hpp"

namespace sluice::channel {

std::string_view step_status_name(StepStatus status) noexcept {
  switch (status) {
    case StepStatus::ok:
      return "ok";
    case StepStatus::not_ready:
      return "not_ready";
    case StepStatus::end_of_stream:
      return "end_of_stream";
    case StepStatus::error:
      return "error";
  }
  return "unknown";
}

// ---- Step --------------------------------------------------------------------

Step::Step(Subscription* owner, StepStatus status, std::int64_t iteration, const void* data,
           std::size_t elements, std::string error, bool in_place)
    : m_owner(owner),
      m_generation(owner->m_state->generation),
      m_status(status),
      m_iteration(iteration),
      m_data(data),
      m_elements(elements),
      m_error(std::move(error)),
      m_in_place(in_place) {}

Step::Step(Step&& other) noexcept
    : m_owner(std::exchange(other.m_owner, nullptr)),
      m_released(std::exchange(other.m_released, true)),
      m_generation(other.m_generation),
      m_status(other.m_status),
      m_iteration(other.m_iteration),
      m_data(other.m_data),
      m_elements(other.m_elements),
      m_error(std::move(other.m_error)),
      m_in_place(other.m_in_place) {}

Step& Step::operator=(Step&& other) noexcept {
  if (this != &other) {
    release();
    m_owner = std::exchange(other.m_owner, nullptr);
    m_released = std::exchange(other.m_released, true);
    m_generation = other.m_generation;
    m_status = other.m_status;
    m_iteration = other.m_iteration;
    m_data = other.m_data;
    m_elements = other.m_elements;
    m_error = std::move(other.m_error);
    m_in_place = other.m_in_place;
  }
  return *this;
}

Step::~Step() {
  try {
    release();
  } catch (const std::exception& e) {
    log::error("releasing iteration ", m_iteration, " failed: ", e.what());
  }
}

const Extents& Step::shape() const noexcept { return selection().count; }

const Selection& Step::selection() const noexcept {
  static const Selection none;
  return m_owner != nullptr && m_status == StepStatus::ok ? m_owner->m_state->effective : none;
}

void Step::release() {
  if (m_owner != nullptr && !m_released && m_status == StepStatus::ok) {
    m_owner->release(m_iteration);
  }
  m_released = true;
}

void Step::check_held() const {
  if (m_status != StepStatus::ok) {
    throw StateError("reading a step's data",
                     "the step's status is " + std::string(step_status_name(m_status)));
  }
  if (m_owner == nullptr || m_released || m_owner->m_state->generation != m_generation) {
    throw StateError("reading the data of iteration " + std::to_string(m_iteration),
                     "the step was released (by release(), the next call to next(), or "
                     "closing its subscription)",
                     "keep the Step until you are done with its data");
  }
}

std::chrono::steady_clock::time_point Step::committed_at() const {
  check_held();
  return std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(m_owner->m_state->held_committed_ns));
}

std::span<const InPlaceBlock> Step::blocks() const {
  check_held();
  if (!m_in_place) {
    return {};
  }
  return m_owner->m_state->views;
}

void Step::assemble() const {
  // Only an in-place step has no data pointer yet (check_type held it).
  auto& buffer = m_owner->m_state->buffer;
  m_owner->assemble(buffer.data());
  m_data = buffer.data();
}

void Step::check_single(std::size_t elements) const {
  if (elements != 1) {
    throw InvalidArgument("reading the value of iteration " + std::to_string(m_iteration) +
                              " of stream '" + m_owner->stream().name + "'",
                          "the step holds " + std::to_string(elements) + " elements",
                          "read arrays with data()");
  }
}

void Step::check_type(Dtype asked) const {
  check_held();
  const Dtype actual = m_owner->stream().dtype;
  if (asked != actual) {
    throw InvalidArgument("reading " + std::string(dtype_name(asked)) + " data of stream '" +
                              m_owner->stream().name + "'",
                          "the stream carries " + std::string(dtype_name(actual)));
  }
}

}  // namespace sluice::channel
