#include "sluice/kernels/reduce.hpp"

#include "table.hpp"

namespace sluice::kernels {

double sum(std::span<const float> data) noexcept {
  return detail::best_table().f32.sum(data.data(), data.size());
}
double sum(std::span<const double> data) noexcept {
  return detail::best_table().f64.sum(data.data(), data.size());
}
double sum(std::span<const float> data, Isa isa) {
  return detail::table_for(isa).f32.sum(data.data(), data.size());
}
double sum(std::span<const double> data, Isa isa) {
  return detail::table_for(isa).f64.sum(data.data(), data.size());
}

float min(std::span<const float> data) noexcept {
  return detail::best_table().f32.min(data.data(), data.size());
}
double min(std::span<const double> data) noexcept {
  return detail::best_table().f64.min(data.data(), data.size());
}
float min(std::span<const float> data, Isa isa) {
  return detail::table_for(isa).f32.min(data.data(), data.size());
}
double min(std::span<const double> data, Isa isa) {
  return detail::table_for(isa).f64.min(data.data(), data.size());
}

float max(std::span<const float> data) noexcept {
  return detail::best_table().f32.max(data.data(), data.size());
}
double max(std::span<const double> data) noexcept {
  return detail::best_table().f64.max(data.data(), data.size());
}
float max(std::span<const float> data, Isa isa) {
  return detail::table_for(isa).f32.max(data.data(), data.size());
}
double max(std::span<const double> data, Isa isa) {
  return detail::table_for(isa).f64.max(data.data(), data.size());
}

std::uint64_t count(std::span<const float> data) noexcept {
  return detail::best_table().f32.count(data.data(), data.size());
}
std::uint64_t count(std::span<const double> data) noexcept {
  return detail::best_table().f64.count(data.data(), data.size());
}
std::uint64_t count(std::span<const float> data, Isa isa) {
  return detail::table_for(isa).f32.count(data.data(), data.size());
}
std::uint64_t count(std::span<const double> data, Isa isa) {
  return detail::table_for(isa).f64.count(data.data(), data.size());
}

Summary<float> summary(std::span<const float> data) noexcept {
  return detail::best_table().f32.summary(data.data(), data.size());
}
Summary<double> summary(std::span<const double> data) noexcept {
  return detail::best_table().f64.summary(data.data(), data.size());
}
Summary<float> summary(std::span<const float> data, Isa isa) {
  return detail::table_for(isa).f32.summary(data.data(), data.size());
}
Summary<double> summary(std::span<const double> data, Isa isa) {
  return detail::table_for(isa).f64.summary(data.data(), data.size());
}

}  // namespace sluice::kernels
