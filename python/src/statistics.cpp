// sluice.step_statistics: the fused kernel of sluice::kernels over a step where it lies
// (the producers' slots for an in-place step), so that a Python analysis pays one pass
// over memory per iteration, as heat2d-analytics does, instead of numpy's several.
#include <array>

#include "bindings.hpp"
#include "sluice/core/error.hpp"
#include "sluice/kernels/step_statistics.hpp"

namespace sluice::python {

namespace {

template <typename T>
py::dict statistics_of(Step& step, std::optional<py::array> previous, bool compare,
                       const kernels::HistogramSpec& spec) {
  const Extents& shape = step.shape();
  const std::string asked = "step_statistics of iteration " + std::to_string(step.iteration());
  T* before = nullptr;
  Extents before_strides(shape.size(), 1);  // row-major over the step's selection
  for (std::size_t d = shape.size(); d-- > 1;) {
    before_strides[d - 1] = before_strides[d] * shape[d];
  }
  if (previous) {
    py::array& p = *previous;
    if (!py::isinstance<py::array_t<T>>(p) || !p.writeable() || !(p.flags() & py::array::c_style) ||
        static_cast<std::size_t>(p.ndim()) != shape.size()) {
      throw InvalidArgument(asked,
                            "`previous` must be a writable C-contiguous array of the "
                            "step's dtype with " +
                                std::to_string(shape.size()) + " dimensions");
    }
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (p.shape(static_cast<py::ssize_t>(d)) != shape[d]) {
        throw InvalidArgument(asked,
                              "`previous` has another shape than the step's " + to_string(shape));
      }
    }
    before = static_cast<T*>(p.mutable_data());
  }
  const kernels::History history =
      before == nullptr ? kernels::History::ignore
                        : (compare ? kernels::History::compare_and_store : kernels::History::store);
  std::vector<std::uint64_t> counts(spec.bins, 0);
  kernels::StepStatistics<T> total;
  {
    const bool in_place = step.in_place();
    const auto views = in_place ? step.blocks() : std::span<const channel::InPlaceBlock>{};
    const std::span<const T> data = in_place ? std::span<const T>{} : step.data<T>();
    py::gil_scoped_release unlocked;
    const auto one = [&](const T* current, const Extents& count, const Extents& strides,
                         const Extents& result_start) {
      kernels::StridedBlock<T> old;
      if (before != nullptr) {
        std::int64_t offset = 0;
        for (std::size_t d = 0; d < shape.size(); ++d) {
          offset += result_start[d] * before_strides[d];
        }
        old = kernels::StridedBlock<T>(before + offset, count, before_strides);
      }
      total.merge(kernels::step_statistics(kernels::StridedBlock<const T>(current, count, strides),
                                           old, history, spec, counts));
    };
    if (in_place) {
      for (const auto& view : views) {
        one(static_cast<const T*>(view.data), view.count, view.strides, view.result_start);
      }
    } else if (!data.empty()) {
      one(data.data(), shape, before_strides, Extents(shape.size(), 0));
    }
  }
  py::dict result;
  result["sum"] = total.summary.sum;
  result["count"] = total.summary.count;
  result["min"] = static_cast<double>(total.summary.min);
  result["max"] = static_cast<double>(total.summary.max);
  result["mean"] = total.summary.mean();
  result["change_sum"] = total.change_sum;
  result["change_count"] = total.change_count;
  py::array_t<std::uint64_t> histogram(static_cast<py::ssize_t>(counts.size()));
  std::copy(counts.begin(), counts.end(), histogram.mutable_data());
  result["histogram"] = histogram;
  return result;
}

}  // namespace

py::dict step_statistics(const PyStep& s, std::optional<py::array> previous, bool compare,
                         std::pair<double, double> range, std::size_t bins) {
  Step& step = s.held("computing a step's statistics");
  if (!step.ok()) {
    throw StateError("computing a step's statistics", "the step's status is not ok");
  }
  const kernels::HistogramSpec spec{range.first, range.second, bins};
  switch (s.dtype) {
    case Dtype::f64:
      return statistics_of<double>(step, std::move(previous), compare, spec);
    case Dtype::f32:
      return statistics_of<float>(step, std::move(previous), compare, spec);
    default:
      throw InvalidArgument("computing the statistics of stream '" + s.stream + "'",
                            "it carries " + std::string(dtype_name(s.dtype)) +
                                "; the fused kernel serves f32 and f64");
  }
}

}  // namespace sluice::python
