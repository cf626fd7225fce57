#pragma once
/// @file
/// sluice::ring::Directory: put and get small values by key, from any process of the
/// job, at the scheduler that owns the key (one hop, routed locally by the ring).
///
/// @code
/// sluice::ring::Directory directory(runtime);
/// directory.put("stream/temperature", layout_text);
/// if (auto value = directory.get("stream/temperature")) { ... }
/// @endcode

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/ring/hash_ring.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::ring {

class Directory {
 public:
  /// Local. Throws RoleError if the job has no scheduler process.
  explicit Directory(const Runtime& runtime,
                     std::chrono::milliseconds reply_timeout = std::chrono::seconds(30));

  /// Stores `value` under `key` at the key's owner. InvalidArgument for an empty or
  /// oversized key or an oversized value; StateError if the owner refuses or does
  /// not answer within the timeout. Not thread-safe.
  void put(std::string_view key, std::string_view value);

  /// The value under `key`, or nothing if none was put. Errors as put().
  [[nodiscard]] std::optional<std::string> get(std::string_view key);

  /// Asks every scheduler to leave its service loop. Call from one process, once
  /// every process is done with the directory.
  void stop_schedulers();

  [[nodiscard]] const HashRing& ring() const noexcept { return m_ring; }

 private:
  std::optional<std::string> request(int kind, std::string_view key, std::string_view value);

  const Runtime* m_runtime;
  HashRing m_ring;
  std::chrono::milliseconds m_reply_timeout;
};

}  // namespace sluice::ring
