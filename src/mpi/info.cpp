#include "sluice/mpi/info.hpp"

#include <string>
#include <utility>

#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"

namespace sluice::mpi {

Info::Info() { check_mpi(MPI_Info_create(&m_info), "MPI_Info_create"); }

Info::Info(Info&& other) noexcept : m_info(std::exchange(other.m_info, MPI_INFO_NULL)) {}

Info& Info::operator=(Info&& other) noexcept {
  if (this != &other) {
    Info discarded(std::move(*this));
    m_info = std::exchange(other.m_info, MPI_INFO_NULL);
  }
  return *this;
}

Info::~Info() {
  if (m_info != MPI_INFO_NULL && !Environment::is_finalized()) {
    MPI_Info_free(&m_info);
  }
}

Info& Info::set(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > MPI_MAX_INFO_KEY) {
    throw InvalidArgument(
        "setting MPI info key '" + std::string(key) + "'",
        "a key must have 1 to " + std::to_string(MPI_MAX_INFO_KEY) + " characters");
  }
  if (value.size() > MPI_MAX_INFO_VAL) {
    throw InvalidArgument("setting MPI info key '" + std::string(key) + "'",
                          "the value has " + std::to_string(value.size()) +
                              " characters, more than MPI_MAX_INFO_VAL (" +
                              std::to_string(MPI_MAX_INFO_VAL) + ")");
  }
  const std::string key_text(key);
  const std::string value_text(value);
  check_mpi(MPI_Info_set(m_info, key_text.c_str(), value_text.c_str()), "MPI_Info_set",
            "setting MPI info key '" + key_text + "'");
  return *this;
}

std::optional<std::string> Info::get(std::string_view key) const {
  const std::string key_text(key);
  int length = 0;
  int flag = 0;
  check_mpi(MPI_Info_get_valuelen(m_info, key_text.c_str(), &length, &flag),
            "MPI_Info_get_valuelen");
  if (flag == 0) {
    return std::nullopt;
  }
  std::string value(static_cast<std::size_t>(length) + 1, '\0');
  check_mpi(MPI_Info_get(m_info, key_text.c_str(), length + 1, value.data(), &flag),
            "MPI_Info_get");
  value.resize(static_cast<std::size_t>(length));
  return value;
}

}  // namespace sluice::mpi
