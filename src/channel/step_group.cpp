#include "sluice/channel/step_group.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "../core/backoff.hpp"
#include "sluice/core/error.hpp"

namespace sluice::channel {

Step& GroupStep::operator[](std::size_t member) {
  if (member >= m_steps.size()) {
    throw InvalidArgument("the step of member " + std::to_string(member) + " of a group step",
                          "it has " + std::to_string(m_steps.size()) + " step(s)" +
                              (ok() ? "" : " (its status is not ok)"));
  }
  return m_steps[member];
}

StepGroup::StepGroup(std::vector<Subscription*> members) : m_members(std::move(members)) {
  const std::string asked = "grouping subscriptions";
  if (m_members.empty()) {
    throw InvalidArgument(asked, "the group has no member");
  }
  for (std::size_t i = 0; i < m_members.size(); ++i) {
    if (m_members[i] == nullptr) {
      throw InvalidArgument(asked, "member " + std::to_string(i) + " is null");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (m_members[j] == m_members[i]) {
        throw InvalidArgument(asked, "member " + std::to_string(i) + " (stream '" +
                                         m_members[i]->stream().name + "') is there twice");
      }
    }
  }
  m_pending.resize(m_members.size());
}

void StepGroup::give_up_before(std::int64_t iteration) {
  for (auto& pending : m_pending) {
    if (pending && pending->iteration() < iteration) {
      if (pending->iteration() > m_last_given_up) {
        m_last_given_up = pending->iteration();
        ++m_counters.incomplete;
      }
      pending.reset();  // releases the slot: its producers may reuse it
    }
  }
}

GroupStep StepGroup::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sluice::detail::Backoff backoff(std::chrono::microseconds(200));
  const auto none = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    // Read what each member without a step has now.
    bool ended = false;
    for (std::size_t m = 0; m < m_members.size(); ++m) {
      if (m_pending[m]) {
        continue;
      }
      Step step = m_members[m]->next(std::chrono::milliseconds(0));
      if (step.ok()) {
        m_pending[m].emplace(std::move(step));
      } else if (step.status() == StepStatus::end_of_stream) {
        ended = true;
      } else if (step.status() == StepStatus::error) {
        const std::string error = "stream '" + m_members[m]->stream().name + "': " + step.error();
        give_up_before(std::numeric_limits<std::int64_t>::max());
        return GroupStep(StepStatus::error, -1, {}, error);
      }
    }
    std::int64_t newest = none;
    bool complete = true;
    for (const auto& pending : m_pending) {
      complete = complete && pending.has_value();
      if (pending) {
        newest = std::max(newest, pending->iteration());
      }
    }
    if (complete) {
      const bool same = std::all_of(m_pending.begin(), m_pending.end(),
                                    [&](const auto& p) { return p->iteration() == newest; });
      if (same) {
        std::vector<Step> steps;
        for (auto& pending : m_pending) {
          steps.push_back(std::move(*pending));
          pending.reset();
        }
        ++m_counters.delivered;
        return GroupStep(StepStatus::ok, newest, std::move(steps), {});
      }
      // Members that are behind skip to the newest: the others will not have theirs.
      give_up_before(newest);
      continue;
    }
    if (ended) {
      // A member's stream is over: nothing can complete any more.
      give_up_before(std::numeric_limits<std::int64_t>::max());
      return GroupStep(StepStatus::end_of_stream, -1, {}, {});
    }
    if (newest != none) {
      // Some member lacks the newest iteration another has: if its producers are done
      // with it and it still did not come, it never will (withheld, skipped).
      bool gave_up = false;
      for (std::size_t m = 0; m < m_members.size() && !gave_up; ++m) {
        if (m_pending[m]) {
          continue;
        }
        const std::int64_t decided = m_members[m]->decided();
        Step step = m_members[m]->next(std::chrono::milliseconds(0));
        if (step.ok()) {
          m_pending[m].emplace(std::move(step));
        } else if (decided >= newest) {
          give_up_before(newest + 1);
          gave_up = true;
        }
      }
      if (gave_up) {
        continue;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return GroupStep(StepStatus::not_ready, -1, {}, {});
    }
    backoff.wait();
  }
}

}  // namespace sluice::channel
