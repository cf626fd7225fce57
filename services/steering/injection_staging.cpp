#include "injection_staging.hpp"

#include <cstring>

namespace sluice::steering {

void InjectionStaging::drop_idle() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = m_open.begin(); it != m_open.end();) {
    if (now - it->second.touched > idle_limit) {
      m_total_bytes -= it->second.expected_bytes;
      it = m_open.erase(it);
    } else {
      ++it;
    }
  }
}

InjectionStaging::Opened InjectionStaging::open(StagedInjection injection) {
  const std::lock_guard lock(m_mutex);
  drop_idle();
  if (m_open.size() >= max_open) {
    return {0, std::to_string(max_open) +
                   " injections are already open; commit them or wait 60 s for idle ones to "
                   "expire"};
  }
  if (injection.expected_bytes > max_total_bytes - m_total_bytes) {
    return {0, "the open injections would hold more than " + std::to_string(max_total_bytes >> 20) +
                   " MiB"};
  }
  injection.touched = std::chrono::steady_clock::now();
  injection.data.reserve(injection.expected_bytes);
  m_total_bytes += injection.expected_bytes;
  const std::int64_t id = m_next_id++;
  m_open.emplace(id, std::move(injection));
  return {id, {}};
}

InjectionStaging::Added InjectionStaging::add(std::int64_t id, const std::string& bytes) {
  const std::lock_guard lock(m_mutex);
  const auto found = m_open.find(id);
  if (found == m_open.end()) {
    return {0, "no open injection " + std::to_string(id) + " (committed, or idle for 60 s)"};
  }
  StagedInjection& staged = found->second;
  if (bytes.size() > staged.expected_bytes - staged.data.size()) {
    return {static_cast<std::int64_t>(staged.data.size()),
            "injection " + std::to_string(id) + " takes " + std::to_string(staged.expected_bytes) +
                " bytes; " + std::to_string(staged.data.size() + bytes.size()) + " were sent"};
  }
  const auto* first = reinterpret_cast<const std::byte*>(bytes.data());
  staged.data.insert(staged.data.end(), first, first + bytes.size());
  staged.touched = std::chrono::steady_clock::now();
  return {static_cast<std::int64_t>(staged.data.size()), {}};
}

InjectionStaging::Taken InjectionStaging::take(std::int64_t id) {
  const std::lock_guard lock(m_mutex);
  const auto found = m_open.find(id);
  if (found == m_open.end()) {
    return {std::nullopt,
            "no open injection " + std::to_string(id) + " (committed, or idle for 60 s)"};
  }
  if (found->second.data.size() != found->second.expected_bytes) {
    return {std::nullopt, "injection " + std::to_string(id) + " has " +
                              std::to_string(found->second.data.size()) + " of its " +
                              std::to_string(found->second.expected_bytes) + " bytes"};
  }
  StagedInjection injection = std::move(found->second);
  m_total_bytes -= injection.expected_bytes;
  m_open.erase(found);
  return {std::move(injection), {}};
}

}  // namespace sluice::steering
