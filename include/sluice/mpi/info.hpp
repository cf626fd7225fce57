#pragma once
/// @file
/// RAII handle for MPI_Info: hints passed when creating windows and communicators.
///
/// @code
/// sluice::mpi::Info info;
/// info.set("no_locks", "false").set("same_disp_unit", "true");
/// auto window = sluice::mpi::Window::allocate(comm, bytes, 1, info);
/// @endcode

#include <mpi.h>

#include <optional>
#include <string>
#include <string_view>

namespace sluice::mpi {

class Info {
 public:
  /// An empty info object (MPI_Info_create). Local.
  Info();
  Info(const Info&) = delete;
  Info& operator=(const Info&) = delete;
  Info(Info&& other) noexcept;
  Info& operator=(Info&& other) noexcept;
  /// Frees the info object unless MPI is finalised. Never throws.
  ~Info();

  /// Sets a key; keys longer than MPI_MAX_INFO_KEY are an InvalidArgument. Returns
  /// *this for chaining. Local, not thread-safe.
  Info& set(std::string_view key, std::string_view value);
  /// The value of a key, if set. Local.
  [[nodiscard]] std::optional<std::string> get(std::string_view key) const;

  [[nodiscard]] MPI_Info get() const noexcept { return m_info; }

 private:
  MPI_Info m_info = MPI_INFO_NULL;
};

}  // namespace sluice::mpi
