// Steps as numpy arrays and Python values.
#include <cstring>

#include "bindings.hpp"
#include "sluice/core/error.hpp"

namespace sluice::python {
namespace {

std::vector<py::ssize_t> byte_strides(const Extents& strides, std::size_t item) {
  std::vector<py::ssize_t> out;
  for (auto s : strides) {
    out.push_back(static_cast<py::ssize_t>(s) * static_cast<py::ssize_t>(item));
  }
  return out;
}

py::array read_only_view(Dtype dtype, const Extents& count, const Extents& strides,
                         const void* data, py::handle base) {
  const py::dtype dt = numpy_dtype(dtype);
  std::vector<py::ssize_t> shape(count.begin(), count.end());
  py::array view(dt, shape, byte_strides(strides, static_cast<std::size_t>(dt.itemsize())), data,
                 base);
  view.attr("setflags")(py::arg("write") = false);
  return view;
}

}  // namespace

py::dtype numpy_dtype(Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return py::dtype::of<float>();
    case Dtype::f64:
      return py::dtype::of<double>();
    case Dtype::i32:
      return py::dtype::of<std::int32_t>();
    case Dtype::i64:
      return py::dtype::of<std::int64_t>();
    case Dtype::u8:
      return py::dtype::of<std::uint8_t>();
  }
  throw InvalidArgument("converting a dtype", "unknown dtype");
}

Dtype dtype_from_name(const std::string& name) {
  const auto dtype = parse_dtype(name);
  if (!dtype) {
    throw InvalidArgument("subscribing with dtype '" + name + "'", "sluice has no such type",
                          "use float32, float64, int32, int64 or uint8");
  }
  return *dtype;
}

// The step's selection as a numpy array: a read-only view into the producer's slot when
// the step was read in place and one producer block holds all of it (halos make it
// strided; numpy views that too), a fresh copy otherwise (or when `copy`).
py::array step_array(py::object self, bool copy) {
  auto& s = self.cast<PyStep&>();
  Step& step = s.held("reading a step's array");
  if (!step.ok()) {
    throw StateError(
        "reading a step's array",
        "the step's status is " + std::string(channel::step_status_name(step.status())),
        "check step.ok (or step.status) first");
  }
  const Extents& shape = step.shape();
  const auto blocks = step.blocks();  // StateError once released
  if (!copy && step.in_place() && blocks.size() == 1 && blocks[0].count == shape) {
    return read_only_view(s.dtype, shape, blocks[0].strides, blocks[0].data, self);
  }
  const py::dtype dt = numpy_dtype(s.dtype);
  std::vector<py::ssize_t> dims(shape.begin(), shape.end());
  py::array out(dt, dims);
  const void* source = nullptr;
  std::size_t elements = 0;
  switch (s.dtype) {
    case Dtype::f32: {
      auto d = step.data<float>();
      source = d.data();
      elements = d.size();
      break;
    }
    case Dtype::f64: {
      auto d = step.data<double>();
      source = d.data();
      elements = d.size();
      break;
    }
    case Dtype::i32: {
      auto d = step.data<std::int32_t>();
      source = d.data();
      elements = d.size();
      break;
    }
    case Dtype::i64: {
      auto d = step.data<std::int64_t>();
      source = d.data();
      elements = d.size();
      break;
    }
    case Dtype::u8: {
      auto d = step.data<std::uint8_t>();
      source = d.data();
      elements = d.size();
      break;
    }
  }
  // A step clipped by steering holds fewer elements than its subscription's selection.
  const auto bytes = std::min<std::size_t>(elements, static_cast<std::size_t>(out.size())) *
                     static_cast<std::size_t>(dt.itemsize());
  std::memcpy(out.mutable_data(), source, bytes);
  return out;
}

py::object step_value(const PyStep& s) {
  Step& step = s.held("reading a step's value");
  switch (s.dtype) {
    case Dtype::f32:
      return py::float_(step.value<float>());
    case Dtype::f64:
      return py::float_(step.value<double>());
    case Dtype::i32:
      return py::int_(step.value<std::int32_t>());
    case Dtype::i64:
      return py::int_(step.value<std::int64_t>());
    case Dtype::u8:
      return py::int_(step.value<std::uint8_t>());
  }
  return py::none();
}

py::list step_blocks(py::object self) {
  auto& s = self.cast<PyStep&>();
  Step& step = s.held("reading a step's blocks");
  py::list out;
  for (const auto& block : step.blocks()) {
    py::dict d;
    d["address"] = reinterpret_cast<std::uintptr_t>(block.data);
    d["count"] = block.count;
    d["strides"] = block.strides;
    d["result_start"] = block.result_start;
    d["world_rank"] = block.world_rank;
    d["block"] = block.block;
    d["array"] = read_only_view(s.dtype, block.count, block.strides, block.data, self);
    out.append(d);
  }
  return out;
}

PyStep make_step(std::shared_ptr<Step> step, const PySubscription& sub, py::object owner) {
  track(step);
  const auto& info = sub.subscription->stream();
  return PyStep{std::move(step), info.dtype, info.is_value, info.name, std::move(owner)};
}

py::dict stream_dict(const channel::StreamInfo& info) {
  py::dict d;
  d["name"] = info.name;
  d["dtype"] = numpy_dtype(info.dtype);
  d["shape"] = py::tuple(py::cast(info.global_shape));
  d["is_value"] = info.is_value;
  d["policy"] = std::string(channel::policy_name(info.options.policy));
  d["depth"] = info.options.depth;
  return d;
}

}  // namespace sluice::python
