#include "sluice/kernels/reduce.hpp"

#include <limits>

#include "dispatch.hpp"
#include "table.hpp"

namespace sluice::kernels {
namespace {

// The blocks' results taken together, as Summary::merge combines them. Empty blocks are
// skipped here: the kernels never see one.
template <typename T>
double sum_of(const detail::KernelTable& table, Blocks<T> blocks) noexcept {
  double total = 0.0;
  for (const auto& block : blocks) {
    total += block.empty() ? 0.0 : table.of<T>().block_sum(detail::merged(block));
  }
  return total;
}

template <typename T>
T min_of(const detail::KernelTable& table, Blocks<T> blocks) noexcept {
  T result = std::numeric_limits<T>::infinity();
  for (const auto& block : blocks) {
    const T m = block.empty() ? result : table.of<T>().block_min(detail::merged(block));
    result = m < result ? m : result;
  }
  return result;
}

template <typename T>
T max_of(const detail::KernelTable& table, Blocks<T> blocks) noexcept {
  T result = -std::numeric_limits<T>::infinity();
  for (const auto& block : blocks) {
    const T m = block.empty() ? result : table.of<T>().block_max(detail::merged(block));
    result = m > result ? m : result;
  }
  return result;
}

template <typename T>
std::uint64_t count_of(const detail::KernelTable& table, Blocks<T> blocks) noexcept {
  std::uint64_t total = 0;
  for (const auto& block : blocks) {
    total += block.empty() ? 0 : table.of<T>().block_count(detail::merged(block));
  }
  return total;
}

template <typename T>
Summary<T> summary_of(const detail::KernelTable& table, Blocks<T> blocks) noexcept {
  Summary<T> total;
  for (const auto& block : blocks) {
    if (!block.empty()) {
      total.merge(table.of<T>().block_summary(detail::merged(block)));
    }
  }
  return total;
}

template <typename T>
Blocks<T> one(const StridedBlock<const T>& block) noexcept {
  return {&block, 1};
}

}  // namespace

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

double sum(StridedBlock<const float> block) noexcept {
  return sum_of(detail::best_table(), one(block));
}
double sum(StridedBlock<const double> block) noexcept {
  return sum_of(detail::best_table(), one(block));
}
double sum(Blocks<float> blocks) noexcept { return sum_of(detail::best_table(), blocks); }
double sum(Blocks<double> blocks) noexcept { return sum_of(detail::best_table(), blocks); }
double sum(Blocks<float> blocks, Isa isa) { return sum_of(detail::table_for(isa), blocks); }
double sum(Blocks<double> blocks, Isa isa) { return sum_of(detail::table_for(isa), blocks); }

float min(StridedBlock<const float> block) noexcept {
  return min_of(detail::best_table(), one(block));
}
double min(StridedBlock<const double> block) noexcept {
  return min_of(detail::best_table(), one(block));
}
float min(Blocks<float> blocks) noexcept { return min_of(detail::best_table(), blocks); }
double min(Blocks<double> blocks) noexcept { return min_of(detail::best_table(), blocks); }
float min(Blocks<float> blocks, Isa isa) { return min_of(detail::table_for(isa), blocks); }
double min(Blocks<double> blocks, Isa isa) { return min_of(detail::table_for(isa), blocks); }

float max(StridedBlock<const float> block) noexcept {
  return max_of(detail::best_table(), one(block));
}
double max(StridedBlock<const double> block) noexcept {
  return max_of(detail::best_table(), one(block));
}
float max(Blocks<float> blocks) noexcept { return max_of(detail::best_table(), blocks); }
double max(Blocks<double> blocks) noexcept { return max_of(detail::best_table(), blocks); }
float max(Blocks<float> blocks, Isa isa) { return max_of(detail::table_for(isa), blocks); }
double max(Blocks<double> blocks, Isa isa) { return max_of(detail::table_for(isa), blocks); }

std::uint64_t count(StridedBlock<const float> block) noexcept {
  return count_of(detail::best_table(), one(block));
}
std::uint64_t count(StridedBlock<const double> block) noexcept {
  return count_of(detail::best_table(), one(block));
}
std::uint64_t count(Blocks<float> blocks) noexcept {
  return count_of(detail::best_table(), blocks);
}
std::uint64_t count(Blocks<double> blocks) noexcept {
  return count_of(detail::best_table(), blocks);
}
std::uint64_t count(Blocks<float> blocks, Isa isa) {
  return count_of(detail::table_for(isa), blocks);
}
std::uint64_t count(Blocks<double> blocks, Isa isa) {
  return count_of(detail::table_for(isa), blocks);
}

Summary<float> summary(StridedBlock<const float> block) noexcept {
  return summary_of(detail::best_table(), one(block));
}
Summary<double> summary(StridedBlock<const double> block) noexcept {
  return summary_of(detail::best_table(), one(block));
}
Summary<float> summary(Blocks<float> blocks) noexcept {
  return summary_of(detail::best_table(), blocks);
}
Summary<double> summary(Blocks<double> blocks) noexcept {
  return summary_of(detail::best_table(), blocks);
}
Summary<float> summary(Blocks<float> blocks, Isa isa) {
  return summary_of(detail::table_for(isa), blocks);
}
Summary<double> summary(Blocks<double> blocks, Isa isa) {
  return summary_of(detail::table_for(isa), blocks);
}

}  // namespace sluice::kernels
