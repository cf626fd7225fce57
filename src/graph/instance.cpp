// The local executor: a compiled graph's per-run state and its per-iteration pass.
//
// Per iteration nothing is allocated, compiled or planned (unless steering moved an
// input's region, which plans the chunks again): scalars first, then one pass per
// domain over its chunks, a tile of a row at a time, then what follows the reductions,
// then the outputs.
#include "instance.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/kernels/histogram.hpp"
#include "sluice/kernels/reduce.hpp"

namespace sluice::graph::detail {
namespace {

// Elements of a row computed together: the tile of every node stays in L1.
constexpr std::size_t tile_elements = 1024;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
using Clock = std::chrono::steady_clock;

Extents padded(const Extents& e, std::int64_t fill) {
  Extents r(3 - e.size(), fill);
  r.insert(r.end(), e.begin(), e.end());
  return r;
}

Extents row_major_strides(const Extents& count) {
  Extents strides(count.size(), 1);
  for (std::size_t d = count.size(); d-- > 1;) {
    strides[d - 1] = strides[d] * count[d];
  }
  return strides;
}

template <typename T>
void load_as_double(const void* base, std::int64_t offset, std::int64_t stride, std::size_t n,
                    double* out) {
  const T* p = static_cast<const T*>(base) + offset;
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<double>(p[static_cast<std::int64_t>(i) * stride]);
  }
}

void load(Dtype dtype, const void* base, std::int64_t offset, std::int64_t stride, std::size_t n,
          double* out) {
  switch (dtype) {
    case Dtype::f32:
      return load_as_double<float>(base, offset, stride, n, out);
    case Dtype::f64:
      return load_as_double<double>(base, offset, stride, n, out);
    case Dtype::i32:
      return load_as_double<std::int32_t>(base, offset, stride, n, out);
    case Dtype::i64:
      return load_as_double<std::int64_t>(base, offset, stride, n, out);
    case Dtype::u8:
      return load_as_double<std::uint8_t>(base, offset, stride, n, out);
  }
}

double value_of(channel::Step& step, Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return step.value<float>();
    case Dtype::f64:
      return step.value<double>();
    case Dtype::i32:
      return step.value<std::int32_t>();
    case Dtype::i64:
      return static_cast<double>(step.value<std::int64_t>());
    case Dtype::u8:
      return step.value<std::uint8_t>();
  }
  return nan;
}

const void* data_of(channel::Step& step, Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return step.data<float>().data();
    case Dtype::f64:
      return step.data<double>().data();
    case Dtype::i32:
      return step.data<std::int32_t>().data();
    case Dtype::i64:
      return step.data<std::int64_t>().data();
    case Dtype::u8:
      return step.data<std::uint8_t>().data();
  }
  return nullptr;
}

// A double as a value of `dtype` would hold it (what cast() computes).
double as_dtype(double x, Dtype dtype) {
  switch (dtype) {
    case Dtype::f32:
      return static_cast<double>(static_cast<float>(x));
    case Dtype::f64:
      return x;
    default:
      return std::isfinite(x) ? std::trunc(x) : x;
  }
}

// One elementwise operation over n elements.
void apply(const TemplateNode& node, const double* const* a, double* out, std::size_t n) {
  const double* x = a[0];
  const double* y = node.args.size() > 1 ? a[1] : nullptr;
  switch (node.op) {
    case Op::add:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] + y[i];
      return;
    case Op::subtract:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] - y[i];
      return;
    case Op::multiply:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] * y[i];
      return;
    case Op::divide:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] / y[i];
      return;
    case Op::negate:
      for (std::size_t i = 0; i < n; ++i) out[i] = -x[i];
      return;
    case Op::abs:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::fabs(x[i]);
      return;
    case Op::sqrt:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::sqrt(x[i]);
      return;
    case Op::exp:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
      return;
    case Op::log:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::log(x[i]);
      return;
    case Op::minimum:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = (std::isnan(x[i]) || std::isnan(y[i])) ? nan : std::min(x[i], y[i]);
      }
      return;
    case Op::maximum:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = (std::isnan(x[i]) || std::isnan(y[i])) ? nan : std::max(x[i], y[i]);
      }
      return;
    case Op::less:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] < y[i] ? 1.0 : 0.0;
      return;
    case Op::less_equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] <= y[i] ? 1.0 : 0.0;
      return;
    case Op::greater:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] > y[i] ? 1.0 : 0.0;
      return;
    case Op::greater_equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] >= y[i] ? 1.0 : 0.0;
      return;
    case Op::equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] == y[i] ? 1.0 : 0.0;
      return;
    case Op::not_equal:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] != y[i] ? 1.0 : 0.0;
      return;
    case Op::where:
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] != 0.0 ? y[i] : a[2][i];
      return;
    case Op::cast:
      for (std::size_t i = 0; i < n; ++i) out[i] = as_dtype(x[i], node.dtype);
      return;
    case Op::map:
      (*node.map)(std::span<const double>(x, n), std::span<double>(out, n));
      return;
    default:
      throw StateError("running " + node.what, "it is not an elementwise operation",
                       "report this: the compiler placed it wrongly");
  }
}

template <typename Each>
void for_each_tile(const Extents& count, Each each) {
  for (std::int64_t i = 0; i < count[0]; ++i) {
    for (std::int64_t j = 0; j < count[1]; ++j) {
      for (std::int64_t k = 0; k < count[2]; k += static_cast<std::int64_t>(tile_elements)) {
        each(i, j, k,
             static_cast<std::size_t>(
                 std::min<std::int64_t>(static_cast<std::int64_t>(tile_elements), count[2] - k)));
      }
    }
  }
}

std::string failure_message(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace

void Moments::add(double x) noexcept {
  if (std::isnan(x)) {
    ++nans;
    return;
  }
  sum += x;
  min = std::min(min, x);
  max = std::max(max, x);
  ++count;
}

void Moments::merge(const Moments& other) noexcept {
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  count += other.count;
  nans += other.nans;
}

struct Instance::InputState {
  channel::Subscription* subscription = nullptr;
  int slots = 1;                             // depth + 1: the current iteration and the window
  int cursor = 0;                            // the slot of the current iteration
  int filled = 0;                            // earlier iterations in the window
  std::vector<std::vector<double>> history;  // arrays with a window, row-major
  std::vector<double> values;                // single values: one per slot
  std::vector<View> views;                   // this iteration's data
  bool is_clipped = false;
};

// The partial of one reduction (or of several: sum, mean, min, max and count of one
// operand over the same axes share one).
struct Instance::Accumulator {
  enum class Kind { moments, histogram, user } kind = Kind::moments;
  std::uint32_t arg = 0;
  std::vector<int> axes;
  std::array<std::int64_t, 3> out_strides{};  // per padded dimension of the operand; 0: reduced
  bool reduces_rows = true;
  std::vector<Moments> moments;
  kernels::HistogramSpec spec;
  std::vector<std::uint64_t> counts;
  const ReductionFunctions* functions = nullptr;
  std::vector<double> partial;

  void reset() {
    std::fill(moments.begin(), moments.end(), Moments{});
    std::fill(counts.begin(), counts.end(), 0);
    if (functions != nullptr) {
      std::fill(partial.begin(), partial.end(), functions->identity);
    }
  }

  // Adds n consecutive elements of a row, the first at padded coordinates (i, j, k).
  void add(const double* p, std::size_t n, std::int64_t i, std::int64_t j, std::int64_t k) {
    switch (kind) {
      case Kind::moments: {
        const auto base = i * out_strides[0] + j * out_strides[1] + k * out_strides[2];
        if (reduces_rows) {
          const auto s = kernels::summary(std::span<const double>(p, n));
          moments[static_cast<std::size_t>(base)].merge(
              {.sum = s.sum, .min = s.min, .max = s.max, .count = s.count, .nans = n - s.count});
        } else {
          for (std::size_t e = 0; e < n; ++e) {
            moments[static_cast<std::size_t>(base + static_cast<std::int64_t>(e) * out_strides[2])]
                .add(p[e]);
          }
        }
        return;
      }
      case Kind::histogram:
        kernels::histogram(std::span<const double>(p, n), spec, counts);
        return;
      case Kind::user:
        functions->map(std::span<const double>(p, n), partial);
        return;
    }
  }
};

struct Instance::DomainState {
  std::vector<Chunk> chunks;
  std::vector<std::vector<View>> signature;  // the views the chunks were planned for
  bool is_planned = false;
  std::vector<int> position;  // per input index: its place in the domain's inputs
  std::vector<std::vector<double>> registers;
  std::vector<int> register_of;        // per template node
  std::vector<const double*> operand;  // per template node: this tile's values
  std::vector<Accumulator> accumulators;
  std::vector<int> accumulator_of;          // per template node
  std::vector<std::vector<double>> arrays;  // per Domain::arrays
  std::vector<std::uint32_t> broadcasts;    // scalar nodes the pass reads, one register each
  Extents shape;                            // padded
};

Instance::Instance(Template compiled, const Graph& graph, channel::Consumer& consumer,
                   channel::Producer& producer, std::size_t timing_window)
    : m_template(std::move(compiled)),
      m_callbacks(graph.callbacks()),
      m_timing_window(std::max<std::size_t>(timing_window, 1)) {
  m_status.name = m_template.name;
  m_times_us.reserve(m_timing_window);
  subscribe(consumer);
  expose(producer);
  prepare();
}

Instance::~Instance() = default;

void Instance::subscribe(channel::Consumer& consumer) {
  std::vector<channel::Subscription*> members;
  for (const auto& input : m_template.inputs) {
    InputState state;
    state.subscription =
        input.is_value ? &consumer.subscribe_value_dtype(input.stream, input.dtype)
                       : &consumer.subscribe_dtype(input.stream, input.dtype, &input.selection);
    state.slots = input.depth + 1;
    state.cursor = state.slots - 1;
    if (input.is_value) {
      state.values.assign(static_cast<std::size_t>(state.slots), nan);
    } else if (input.depth > 0) {
      state.history.assign(
          static_cast<std::size_t>(state.slots),
          std::vector<double>(static_cast<std::size_t>(input.selection.elements()), nan));
      m_status.allocations += static_cast<std::uint64_t>(state.slots);
    }
    members.push_back(state.subscription);
    m_inputs.push_back(std::move(state));
    ++m_status.subscriptions;
  }
  m_group = std::make_unique<channel::StepGroup>(std::move(members));
}

void Instance::expose(channel::Producer& producer) {
  for (const auto& out : m_template.outputs) {
    if (out.stream.empty()) {
      m_outputs.push_back(nullptr);
      continue;
    }
    const auto& node = m_template.nodes[out.nodes.front()];
    if (node.shape.empty()) {
      m_outputs.push_back(&producer.expose_value_dtype(out.stream, node.dtype, out.options));
    } else {
      const channel::Layout layout{.global_shape = node.shape,
                                   .block_start = Extents(node.shape.size(), 0),
                                   .block_count = node.shape,
                                   .local_shape = {},
                                   .local_offset = {}};
      m_outputs.push_back(&producer.expose_dtype(
          out.stream, node.dtype, std::span<const channel::Layout>(&layout, 1), out.options));
    }
    ++m_status.allocations;
  }
}

void Instance::prepare() {
  const auto& nodes = m_template.nodes;
  m_values.assign(nodes.size(), Value{});
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    m_values[n].dtype = nodes[n].dtype;
    m_values[n].shape = nodes[n].shape;
    if (nodes[n].phase != Phase::block) {
      m_values[n].data.assign(static_cast<std::size_t>(product(nodes[n].shape)), nan);
    }
  }
  ++m_status.allocations;
  m_domains.clear();
  m_domains.resize(m_template.domains.size());
  for (std::size_t di = 0; di < m_template.domains.size(); ++di) {
    const Domain& domain = m_template.domains[di];
    DomainState& d = m_domains[di];
    d.shape = padded(domain.shape, 1);
    d.position.assign(m_template.inputs.size(), -1);
    for (std::size_t p = 0; p < domain.inputs.size(); ++p) {
      d.position[static_cast<std::size_t>(domain.inputs[p])] = static_cast<int>(p);
    }
    d.register_of.assign(nodes.size(), -1);
    d.operand.assign(nodes.size(), nullptr);
    d.accumulator_of.assign(nodes.size(), -1);
    const auto add_register = [&](std::uint32_t node) {
      if (d.register_of[node] < 0) {
        d.register_of[node] = static_cast<int>(d.registers.size());
        d.registers.emplace_back(tile_elements, nan);  // stays NaN: an empty window
        ++m_status.allocations;
      }
    };
    for (auto id : domain.program) {
      add_register(id);
      for (auto a : nodes[id].args) {
        if (nodes[a].phase == Phase::scalar) {
          add_register(a);
          if (std::find(d.broadcasts.begin(), d.broadcasts.end(), a) == d.broadcasts.end()) {
            d.broadcasts.push_back(a);
          }
        }
      }
    }
    for (auto id : domain.reductions) {
      const TemplateNode& node = nodes[id];
      const auto arg = node.args[0];
      Accumulator::Kind kind = node.op == Op::histogram   ? Accumulator::Kind::histogram
                               : node.op == Op::reduction ? Accumulator::Kind::user
                                                          : Accumulator::Kind::moments;
      if (kind == Accumulator::Kind::moments) {
        const auto shared = std::find_if(
            d.accumulators.begin(), d.accumulators.end(),
            [&](const auto& a) { return a.kind == kind && a.arg == arg && a.axes == node.axes; });
        if (shared != d.accumulators.end()) {
          d.accumulator_of[id] = static_cast<int>(shared - d.accumulators.begin());
          continue;
        }
      }
      Accumulator a;
      a.kind = kind;
      a.arg = arg;
      a.axes = node.axes;
      if (kind == Accumulator::Kind::moments) {
        const auto rank = nodes[arg].shape.size();
        const auto skip = 3 - rank;
        const Extents out_strides = row_major_strides(node.shape);
        std::size_t out_dim = 0;
        for (std::size_t dim = 0; dim < rank; ++dim) {
          const bool reduced = std::find(node.axes.begin(), node.axes.end(),
                                         static_cast<int>(dim)) != node.axes.end();
          a.out_strides[skip + dim] = reduced ? 0 : out_strides[out_dim++];
        }
        a.reduces_rows = a.out_strides[2] == 0;
        a.moments.assign(static_cast<std::size_t>(product(node.shape)), Moments{});
      } else if (kind == Accumulator::Kind::histogram) {
        a.spec = {node.constant, node.upper, static_cast<std::size_t>(node.bins)};
        a.counts.assign(static_cast<std::size_t>(node.bins), 0);
      } else {
        a.functions = &*node.reduction;
        a.partial.assign(node.reduction->length, node.reduction->identity);
      }
      ++m_status.allocations;
      d.accumulator_of[id] = static_cast<int>(d.accumulators.size());
      d.accumulators.push_back(std::move(a));
    }
    for (auto id : domain.arrays) {
      d.arrays.emplace_back(static_cast<std::size_t>(product(nodes[id].shape)), nan);
      ++m_status.allocations;
    }
  }
  m_callback_values.assign(m_template.outputs.size(), {});
  std::size_t largest = 0;
  for (const auto& out : m_template.outputs) {
    largest = std::max(largest, static_cast<std::size_t>(product(nodes[out.nodes.front()].shape)));
  }
  m_staging.assign(largest * sizeof(double), 0);
  ++m_status.placements;
}

void Instance::rebuild(Template compiled) {
  m_template = std::move(compiled);
  prepare();
}

channel::GroupStep Instance::next(std::chrono::milliseconds timeout) {
  return m_group->next(timeout);
}

void Instance::gather_views(channel::GroupStep& step) {
  for (std::size_t i = 0; i < m_inputs.size(); ++i) {
    const Input& input = m_template.inputs[i];
    InputState& state = m_inputs[i];
    state.cursor = (state.cursor + 1) % state.slots;
    channel::Step& s = step[i];
    if (input.is_value) {
      state.values[static_cast<std::size_t>(state.cursor)] = value_of(s, input.dtype);
      continue;
    }
    const Selection& asked = input.selection;
    const Selection& got = s.selection();
    state.views.clear();
    state.is_clipped = got.count != asked.count;
    if (got.elements() == 0) {
      continue;
    }
    Extents offset(asked.start.size(), 0);
    for (std::size_t dim = 0; dim < offset.size(); ++dim) {
      offset[dim] = (got.start[dim] - asked.start[dim]) / asked.every[dim];
    }
    const auto shifted = [&](const Extents& start) {
      Extents r(start.size());
      for (std::size_t dim = 0; dim < start.size(); ++dim) {
        r[dim] = start[dim] + offset[dim];
      }
      return padded(r, 0);
    };
    if (s.in_place()) {
      for (const auto& b : s.blocks()) {
        state.views.push_back(
            {b.data, padded(b.count, 1), padded(b.strides, 0), shifted(b.result_start)});
      }
    } else {
      state.views.push_back({data_of(s, input.dtype), padded(got.count, 1),
                             padded(row_major_strides(got.count), 0),
                             shifted(Extents(got.count.size(), 0))});
    }
  }
}

void Instance::plan(std::size_t di) {
  const Domain& domain = m_template.domains[di];
  DomainState& d = m_domains[di];
  bool same = d.is_planned;
  for (std::size_t p = 0; same && p < domain.inputs.size(); ++p) {
    const auto& now = m_inputs[static_cast<std::size_t>(domain.inputs[p])].views;
    const auto& then = d.signature[p];
    same = now.size() == then.size();
    for (std::size_t v = 0; same && v < now.size(); ++v) {
      same = now[v].count == then[v].count && now[v].strides == then[v].strides &&
             now[v].start == then[v].start;
    }
  }
  if (same) {
    return;
  }
  // The common refinement of the inputs' views: each chunk lies in one view of each.
  d.chunks.clear();
  d.signature.clear();
  for (std::size_t p = 0; p < domain.inputs.size(); ++p) {
    const auto& views = m_inputs[static_cast<std::size_t>(domain.inputs[p])].views;
    d.signature.push_back(views);
    if (p == 0) {
      for (std::size_t v = 0; v < views.size(); ++v) {
        d.chunks.push_back({views[v].start, views[v].count, {static_cast<int>(v)}, {}});
      }
      continue;
    }
    std::vector<Chunk> refined;
    for (const auto& chunk : d.chunks) {
      for (std::size_t v = 0; v < views.size(); ++v) {
        Chunk part = chunk;
        bool meets = true;
        for (std::size_t dim = 0; dim < 3 && meets; ++dim) {
          const auto lo = std::max(chunk.start[dim], views[v].start[dim]);
          const auto hi = std::min(chunk.start[dim] + chunk.count[dim],
                                   views[v].start[dim] + views[v].count[dim]);
          meets = hi > lo;
          part.start[dim] = lo;
          part.count[dim] = hi - lo;
        }
        if (meets) {
          part.view.push_back(static_cast<int>(v));
          refined.push_back(std::move(part));
        }
      }
    }
    d.chunks = std::move(refined);
  }
  for (auto& chunk : d.chunks) {
    chunk.offset.clear();
    for (std::size_t p = 0; p < domain.inputs.size(); ++p) {
      const auto& view = d.signature[p][static_cast<std::size_t>(chunk.view[p])];
      std::int64_t offset = 0;
      for (std::size_t dim = 0; dim < 3; ++dim) {
        offset += (chunk.start[dim] - view.start[dim]) * view.strides[dim];
      }
      chunk.offset.push_back(offset);
    }
  }
  d.is_planned = true;
  ++m_status.replans;
}

void Instance::run_chunk(DomainState& d, const Domain& domain, const Chunk& chunk, bool& failed) {
  const auto& nodes = m_template.nodes;
  for_each_tile(chunk.count, [&](std::int64_t i, std::int64_t j, std::int64_t k, std::size_t n) {
    const std::int64_t g0 = chunk.start[0] + i;
    const std::int64_t g1 = chunk.start[1] + j;
    const std::int64_t g2 = chunk.start[2] + k;
    const auto index = static_cast<std::size_t>((g0 * d.shape[1] + g1) * d.shape[2] + g2);
    for (auto id : domain.program) {
      const TemplateNode& node = nodes[id];
      double* reg = d.registers[static_cast<std::size_t>(d.register_of[id])].data();
      if (node.op == Op::stream) {
        InputState& input = m_inputs[static_cast<std::size_t>(node.input)];
        const auto slot =
            static_cast<std::size_t>((input.cursor - node.lag + input.slots) % input.slots);
        if (node.lag > 0) {
          d.operand[id] = input.filled >= node.lag ? input.history[slot].data() + index : reg;
          continue;
        }
        const auto p = static_cast<std::size_t>(d.position[static_cast<std::size_t>(node.input)]);
        const View& view = input.views[static_cast<std::size_t>(chunk.view[p])];
        const std::int64_t offset =
            chunk.offset[p] + i * view.strides[0] + j * view.strides[1] + k * view.strides[2];
        const Dtype dtype = m_template.inputs[static_cast<std::size_t>(node.input)].dtype;
        if (input.slots > 1) {
          double* kept = input.history[slot].data() + index;
          load(dtype, view.data, offset, view.strides[2], n, kept);
          d.operand[id] = kept;
        } else if (dtype == Dtype::f64 && view.strides[2] == 1) {
          d.operand[id] = static_cast<const double*>(view.data) + offset;
        } else {
          load(dtype, view.data, offset, view.strides[2], n, reg);
          d.operand[id] = reg;
        }
        continue;
      }
      if (failed) {
        continue;  // the inputs are still kept for the next iterations' windows
      }
      const double* args[3] = {nullptr, nullptr, nullptr};
      for (std::size_t a = 0; a < node.args.size(); ++a) {
        const auto arg = node.args[a];
        args[a] = nodes[arg].phase == Phase::scalar
                      ? d.registers[static_cast<std::size_t>(d.register_of[arg])].data()
                      : d.operand[arg];
      }
      try {
        apply(node, args, reg, n);
      } catch (...) {
        failed = true;
        m_failure = std::current_exception();
        continue;
      }
      d.operand[id] = reg;
    }
    if (failed) {
      return;
    }
    try {
      for (auto& acc : d.accumulators) {
        acc.add(d.operand[acc.arg], n, g0, g1, g2);
      }
    } catch (...) {
      failed = true;
      m_failure = std::current_exception();
      return;
    }
    for (std::size_t a = 0; a < domain.arrays.size(); ++a) {
      std::memcpy(d.arrays[a].data() + index, d.operand[domain.arrays[a]], n * sizeof(double));
    }
  });
}

void Instance::run_domain(std::size_t di, bool& failed) {
  const Domain& domain = m_template.domains[di];
  DomainState& d = m_domains[di];
  plan(di);
  bool is_clipped = false;
  for (int input : domain.inputs) {
    auto& state = m_inputs[static_cast<std::size_t>(input)];
    if (state.is_clipped) {
      is_clipped = true;
      if (state.slots > 1) {  // cells steering hid this iteration are NaN in the window
        auto& kept = state.history[static_cast<std::size_t>(state.cursor)];
        std::fill(kept.begin(), kept.end(), nan);
      }
    }
  }
  if (is_clipped) {
    for (auto& array : d.arrays) {
      std::fill(array.begin(), array.end(), nan);
    }
  }
  for (auto id : d.broadcasts) {
    auto& reg = d.registers[static_cast<std::size_t>(d.register_of[id])];
    std::fill(reg.begin(), reg.end(), m_values[id].data[0]);
  }
  for (auto& acc : d.accumulators) {
    acc.reset();
  }
  for (const auto& chunk : d.chunks) {
    run_chunk(d, domain, chunk, failed);
  }
}

void Instance::finish_reductions(std::size_t di) {
  const Domain& domain = m_template.domains[di];
  DomainState& d = m_domains[di];
  for (auto id : domain.reductions) {
    const TemplateNode& node = m_template.nodes[id];
    const Accumulator& acc = d.accumulators[static_cast<std::size_t>(d.accumulator_of[id])];
    auto& out = m_values[id].data;
    switch (acc.kind) {
      case Accumulator::Kind::histogram:
        std::copy(acc.counts.begin(), acc.counts.end(), out.begin());
        break;
      case Accumulator::Kind::user:
        std::copy(acc.partial.begin(), acc.partial.end(), out.begin());
        break;
      case Accumulator::Kind::moments:
        for (std::size_t e = 0; e < out.size(); ++e) {
          const Moments& m = acc.moments[e];
          const bool has_nan = m.nans > 0;
          switch (node.op) {
            case Op::sum:
              out[e] = has_nan ? nan : m.sum;
              break;
            case Op::mean:
              out[e] = (has_nan || m.count == 0) ? nan : m.sum / static_cast<double>(m.count);
              break;
            case Op::min:
              out[e] = (has_nan || m.count == 0) ? nan : m.min;
              break;
            case Op::max:
              out[e] = (has_nan || m.count == 0) ? nan : m.max;
              break;
            default:
              out[e] = static_cast<double>(m.count);
              break;
          }
        }
        break;
    }
  }
}

// A node of the scalar or reduced phase, over whole small values.
void Instance::evaluate(std::uint32_t id) {
  const TemplateNode& node = m_template.nodes[id];
  Value& out = m_values[id];
  switch (node.op) {
    case Op::value: {
      const InputState& input = m_inputs[static_cast<std::size_t>(node.input)];
      const auto slot =
          static_cast<std::size_t>((input.cursor - node.lag + input.slots) % input.slots);
      out.data[0] = (node.lag == 0 || input.filled >= node.lag) ? input.values[slot] : nan;
      return;
    }
    case Op::constant:
      out.data[0] = node.constant;
      return;
    case Op::slice: {
      const Value& in = m_values[node.args[0]];
      const Extents in_strides = row_major_strides(in.shape);
      const Extents count = padded(node.selection.count, 1);
      const Extents start = padded(node.selection.start, 0);
      const Extents every = padded(node.selection.every, 1);
      const Extents strides = padded(in_strides, 0);
      std::size_t e = 0;
      for (std::int64_t i = 0; i < count[0]; ++i) {
        for (std::int64_t j = 0; j < count[1]; ++j) {
          for (std::int64_t k = 0; k < count[2]; ++k) {
            const auto at = (start[0] + i * every[0]) * strides[0] +
                            (start[1] + j * every[1]) * strides[1] +
                            (start[2] + k * every[2]) * strides[2];
            out.data[e++] = in.data[static_cast<std::size_t>(at)];
          }
        }
      }
      return;
    }
    case Op::sum:
    case Op::mean:
    case Op::min:
    case Op::max:
    case Op::count:
    case Op::histogram:
    case Op::reduction: {
      // A reduction of a small value: the accumulators of the pass, over one chunk.
      const Value& in = m_values[node.args[0]];
      Accumulator acc;
      const Extents shape = padded(in.shape, 1);
      if (node.op == Op::histogram) {
        acc.kind = Accumulator::Kind::histogram;
        acc.spec = {node.constant, node.upper, static_cast<std::size_t>(node.bins)};
        acc.counts.assign(static_cast<std::size_t>(node.bins), 0);
      } else if (node.op == Op::reduction) {
        acc.kind = Accumulator::Kind::user;
        acc.functions = &*node.reduction;
        acc.partial.assign(node.reduction->length, node.reduction->identity);
      } else {
        const auto rank = in.shape.size();
        const Extents out_strides = row_major_strides(node.shape);
        std::size_t out_dim = 0;
        for (std::size_t dim = 0; dim < rank; ++dim) {
          const bool reduced = std::find(node.axes.begin(), node.axes.end(),
                                         static_cast<int>(dim)) != node.axes.end();
          acc.out_strides[3 - rank + dim] = reduced ? 0 : out_strides[out_dim++];
        }
        acc.reduces_rows = acc.out_strides[2] == 0;
        acc.moments.assign(out.data.size(), Moments{});
      }
      for_each_tile(shape, [&](std::int64_t i, std::int64_t j, std::int64_t k, std::size_t n) {
        acc.add(in.data.data() + static_cast<std::size_t>((i * shape[1] + j) * shape[2] + k), n, i,
                j, k);
      });
      if (acc.kind == Accumulator::Kind::histogram) {
        std::copy(acc.counts.begin(), acc.counts.end(), out.data.begin());
      } else if (acc.kind == Accumulator::Kind::user) {
        std::copy(acc.partial.begin(), acc.partial.end(), out.data.begin());
      } else {
        for (std::size_t e = 0; e < out.data.size(); ++e) {
          const Moments& m = acc.moments[e];
          const bool empty = m.nans > 0 || m.count == 0;
          out.data[e] = node.op == Op::sum     ? (m.nans > 0 ? nan : m.sum)
                        : node.op == Op::count ? static_cast<double>(m.count)
                        : empty                ? nan
                        : node.op == Op::mean  ? m.sum / static_cast<double>(m.count)
                        : node.op == Op::min   ? m.min
                                               : m.max;
        }
      }
      return;
    }
    default: {
      // Elementwise, scalars broadcast over arrays.
      const std::size_t n = out.data.size();
      std::vector<std::vector<double>> broadcast;
      broadcast.reserve(3);  // pointers into it are taken as it grows
      const double* args[3] = {nullptr, nullptr, nullptr};
      for (std::size_t a = 0; a < node.args.size(); ++a) {
        const Value& in = m_values[node.args[a]];
        if (in.data.size() == n) {
          args[a] = in.data.data();
        } else {
          broadcast.emplace_back(n, in.data[0]);
          args[a] = broadcast.back().data();
        }
      }
      apply(node, args, out.data.data(), n);
      return;
    }
  }
}

bool Instance::trigger(channel::GroupStep& step) {
  const auto started = Clock::now();
  const std::int64_t iteration = step.iteration();
  gather_views(step);
  bool failed = false;
  m_failure = nullptr;
  try {
    for (auto id : m_template.scalar_order) {
      evaluate(id);
    }
  } catch (...) {
    failed = true;
    m_failure = std::current_exception();
  }
  for (std::size_t di = 0; di < m_domains.size(); ++di) {
    run_domain(di, failed);
  }
  for (auto& input : m_inputs) {
    input.filled = std::min(input.filled + 1, input.slots - 1);
  }
  if (!failed) {
    try {
      for (std::size_t di = 0; di < m_domains.size(); ++di) {
        finish_reductions(di);
      }
      for (auto id : m_template.reduced_order) {
        evaluate(id);
      }
      emit(iteration);
    } catch (...) {
      failed = true;
      m_failure = std::current_exception();
    }
  }
  ++m_status.iterations;
  m_status.last_iteration = iteration;
  if (failed) {
    record_failure(iteration, failure_message(m_failure));
  }
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
  if (m_times_us.size() < m_timing_window) {
    m_times_us.push_back(us);
  } else {
    m_times_us[m_status.iterations % m_timing_window] = us;
  }
  return !failed;
}

void Instance::record_failure(std::int64_t iteration, const std::string& message) {
  ++m_status.failed_iterations;
  m_status.last_error = message;
  m_status.last_error_iteration = iteration;
  log::warn("graph '", m_template.name, "' failed iteration ", iteration, ": ", message,
            " (the graph goes on with the next iteration)");
}

void Instance::emit(std::int64_t iteration) {
  const auto& nodes = m_template.nodes;
  // A block node's whole array, from the pass.
  const auto array_of = [&](std::uint32_t id) -> const std::vector<double>& {
    const auto& domain = m_template.domains[static_cast<std::size_t>(nodes[id].domain)];
    const auto at =
        std::find(domain.arrays.begin(), domain.arrays.end(), id) - domain.arrays.begin();
    return m_domains[static_cast<std::size_t>(nodes[id].domain)]
        .arrays[static_cast<std::size_t>(at)];
  };
  for (std::size_t o = 0; o < m_template.outputs.size(); ++o) {
    const TemplateOutput& out = m_template.outputs[o];
    if (m_outputs[o] != nullptr) {
      const auto id = out.nodes.front();
      const std::vector<double>& data =
          nodes[id].phase == Phase::block ? array_of(id) : m_values[id].data;
      publish(*m_outputs[o], nodes[id].dtype, nodes[id].shape.empty(), iteration, data);
      continue;
    }
    auto& values = m_callback_values[o];
    values.resize(out.nodes.size());
    for (std::size_t v = 0; v < out.nodes.size(); ++v) {
      const auto id = out.nodes[v];
      values[v].dtype = nodes[id].dtype;
      values[v].shape = nodes[id].shape;
      const auto& data = nodes[id].phase == Phase::block ? array_of(id) : m_values[id].data;
      values[v].data.assign(data.begin(), data.end());
    }
    m_callbacks[out.callback](iteration, values);
  }
}

void Instance::publish(channel::Channel& channel, Dtype dtype, bool is_scalar,
                       std::int64_t iteration, const std::vector<double>& data) {
  const auto as = [&]<typename T>(T*) {
    if (is_scalar) {
      channel.publish_value<T>(iteration, static_cast<T>(data[0]));
      return;
    }
    auto* buffer = reinterpret_cast<T*>(m_staging.data());
    for (std::size_t e = 0; e < data.size(); ++e) {
      buffer[e] = static_cast<T>(data[e]);
    }
    channel.publish<T>(iteration, buffer);
  };
  if (!is_scalar && m_staging.size() < data.size() * sizeof(double)) {
    m_staging.resize(data.size() * sizeof(double));
    ++m_status.allocations;
  }
  switch (dtype) {
    case Dtype::f32:
      return as(static_cast<float*>(nullptr));
    case Dtype::f64:
      return as(static_cast<double*>(nullptr));
    case Dtype::i32:
      return as(static_cast<std::int32_t*>(nullptr));
    case Dtype::i64:
      return as(static_cast<std::int64_t*>(nullptr));
    case Dtype::u8:
      return as(static_cast<std::uint8_t*>(nullptr));
  }
}

void Instance::close() {
  if (m_is_closed) {
    return;
  }
  m_is_closed = true;
  for (auto& input : m_inputs) {
    input.subscription->close();
  }
  for (auto* out : m_outputs) {
    if (out != nullptr) {
      out->close();
    }
  }
}

GraphStatus Instance::status() const {
  GraphStatus status = m_status;
  status.skipped_iterations = m_group->counters().incomplete;
  if (!m_times_us.empty()) {
    std::vector<double> times = m_times_us;
    std::sort(times.begin(), times.end());
    status.iteration_time = {times.front(), times[times.size() / 2], times.back(), times.size()};
  }
  std::uint64_t tasks = 0;
  for (const auto& d : m_domains) {
    tasks += d.chunks.size();
  }
  tasks += m_template.reduced_order.size() + m_template.outputs.size();
  status.tasks_per_iteration = tasks;
  for (const auto& input : m_inputs) {
    status.bytes_pulled += input.subscription->counters().bytes_pulled;
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  status.partitions = {{.world_rank = rank, .tasks = tasks, .time = status.iteration_time}};
  return status;
}

}  // namespace sluice::graph::detail
