#pragma once
/// @file
/// sluice::channel::StepGroup: the same iteration of several streams, together.
///
/// A simulation publishes several streams per iteration (heat2d: `time` and
/// `temperature`); an analysis needs them at the same iteration. A group delivers an
/// iteration only when every member has it. An iteration that some member will never
/// have (steering withheld it, `every` leaves it out, a skip policy dropped it: the
/// member's producers are past it) is skipped for the whole group, and the steps the
/// other members held for it are released at once, so that a `block` producer never
/// waits on a group for an iteration that cannot complete. Skipped iterations are
/// counted (counters().incomplete).
///
/// @code
/// auto& time = consumer.subscribe_value<double>("time");
/// auto& temperature = consumer.subscribe<double>("temperature");
/// sluice::channel::StepGroup group({&time, &temperature});
/// for (;;) {
///   auto steps = group.next(std::chrono::seconds(10));
///   if (steps.status() == sluice::channel::StepStatus::end_of_stream) break;
///   if (!steps.ok()) continue;
///   use(steps.iteration(), steps[0].value<double>(), steps[1].data<double>());
/// }
/// @endcode
///
/// Local; not thread-safe. The members must belong to one Consumer and outlive the
/// group; while they are in a group, read them only through it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/channel/consumer.hpp"

namespace sluice::channel {

/// One iteration of every member of a group. Move-only; its steps are released with
/// it, or by the group's next next().
class GroupStep {
 public:
  [[nodiscard]] StepStatus status() const noexcept { return m_status; }
  [[nodiscard]] bool ok() const noexcept { return m_status == StepStatus::ok; }
  /// The iteration every member delivered (ok only).
  [[nodiscard]] std::int64_t iteration() const noexcept { return m_iteration; }
  /// What went wrong, and with which member (error only).
  [[nodiscard]] const std::string& error() const noexcept { return m_error; }
  /// The step of member `member`, in the order the group was made (ok only;
  /// InvalidArgument out of range).
  [[nodiscard]] Step& operator[](std::size_t member);
  [[nodiscard]] std::size_t size() const noexcept { return m_steps.size(); }

 private:
  friend class StepGroup;
  GroupStep(StepStatus status, std::int64_t iteration, std::vector<Step> steps, std::string error)
      : m_status(status),
        m_iteration(iteration),
        m_steps(std::move(steps)),
        m_error(std::move(error)) {}

  StepStatus m_status;
  std::int64_t m_iteration;
  std::vector<Step> m_steps;
  std::string m_error;
};

/// What a group has done.
struct GroupCounters {
  std::uint64_t delivered = 0;   ///< iterations delivered with every member
  std::uint64_t incomplete = 0;  ///< iterations skipped: some member will never have them
};

class StepGroup {
 public:
  /// A group of subscriptions (at least one, each once). InvalidArgument otherwise.
  explicit StepGroup(std::vector<Subscription*> members);
  StepGroup(const StepGroup&) = delete;
  StepGroup& operator=(const StepGroup&) = delete;

  /// The next iteration every member has, waiting up to `timeout`. Statuses: ok,
  /// not_ready (nothing complete within the timeout; what was read is kept for the
  /// next call), end_of_stream (a member's stream ended: no iteration can complete
  /// any more), error (a member's error, named).
  [[nodiscard]] GroupStep next(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  [[nodiscard]] GroupCounters counters() const noexcept { return m_counters; }

 private:
  // Releases the members' steps of iterations before `iteration` (all if it is
  // beyond them), counting each iteration given up once.
  void give_up_before(std::int64_t iteration);

  std::vector<Subscription*> m_members;
  std::vector<std::optional<Step>> m_pending;
  std::int64_t m_last_given_up = -1;
  GroupCounters m_counters;
};

}  // namespace sluice::channel
