// The pass over the blocks: per iteration nothing is allocated, compiled or planned
// (unless steering moved an input's region, which plans the chunks again): the
// scalars, then one pass per domain over its chunks, a tile of a row at a time,
// computing every node, reduction and array output that reads the tile while it is in
// cache.
#include "partition.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "evaluate.hpp"
#include "fusion.hpp"
#include "sluice/core/error.hpp"

namespace sluice::graph::detail {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
using Clock = std::chrono::steady_clock;

// n elements of `dtype` from `base` (`stride` apart, from `offset`), as double.
void load(Dtype dtype, const void* base, std::int64_t offset, std::int64_t stride, std::size_t n,
          double* out) {
  if (dtype == Dtype::f64 && stride == 1) {
    std::memcpy(out, static_cast<const double*>(base) + offset, n * sizeof(double));
    return;
  }
  visit_dtype(dtype, [&]<typename T>(std::type_identity<T>) {
    const T* p = static_cast<const T*>(base) + offset;
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = static_cast<double>(p[static_cast<std::int64_t>(i) * stride]);
    }
  });
}

double value_of(channel::Step& step, Dtype dtype) {
  return visit_dtype(dtype, [&]<typename T>(std::type_identity<T>) {
    return static_cast<double>(step.value<T>());
  });
}

const void* data_of(channel::Step& step, Dtype dtype) {
  return visit_dtype(dtype, [&]<typename T>(std::type_identity<T>) -> const void* {
    return step.data<T>().data();
  });
}

std::string failure_message(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

// The smallest box holding every box (empty count if there is none).
Box bounding_box(const std::vector<Box>& boxes) {
  if (boxes.empty()) {
    return {};
  }
  Box b = boxes.front();
  for (const auto& box : boxes) {
    for (std::size_t d = 0; d < b.start.size(); ++d) {
      const auto end = std::max(b.start[d] + b.count[d], box.start[d] + box.count[d]);
      b.start[d] = std::min(b.start[d], box.start[d]);
      b.count[d] = end - b.start[d];
    }
  }
  return b;
}

using Index3 = std::array<std::int64_t, 3>;

// Extents of 1 to 3 dimensions as 3, leading ones filled with `fill`.
Index3 index3(const Extents& e, std::int64_t fill) {
  Index3 r{fill, fill, fill};
  std::copy(e.begin(), e.end(), r.begin() + static_cast<std::ptrdiff_t>(3 - e.size()));
  return r;
}

}  // namespace

// A part of a domain's array that every input of the domain holds in one block and
// this partition owns: the unit of leaf work.
struct Chunk {
  Index3 start{};  // in the partition's region
  Index3 count{};
  std::vector<int> view;             // per domain input: which of its views
  std::vector<std::int64_t> offset;  // per domain input: the chunk's first element there
};

namespace {

// Where an input's data lies this iteration: a box of the partition's region. Fixed
// arrays: the views of thousands of blocks are refreshed every iteration.
struct View {
  const void* data = nullptr;
  Index3 count{};
  Index3 strides{};  // elements
  Index3 start{};    // in the region

  [[nodiscard]] bool same_place(const View& other) const noexcept {
    return count == other.count && strides == other.strides && start == other.start;
  }
};

// The part of `chunk` inside the box (start, count), if any.
bool clip_chunk(Chunk& chunk, const Index3& start, const Index3& count) {
  for (std::size_t dim = 0; dim < 3; ++dim) {
    const auto lo = std::max(chunk.start[dim], start[dim]);
    const auto hi = std::min(chunk.start[dim] + chunk.count[dim], start[dim] + count[dim]);
    if (hi <= lo) {
      return false;
    }
    chunk.start[dim] = lo;
    chunk.count[dim] = hi - lo;
  }
  return true;
}

}  // namespace

// An input and its window. An array's window keeps `depth` earlier iterations, each
// row-major over the region, in a ring: the current iteration's values replace the
// oldest ones tile by tile, once the tile has read them (one buffer read and written
// per iteration, as a fused compare-and-store does). Single values keep depth + 1.
struct Partition::InputState {
  channel::Subscription* subscription = nullptr;
  int depth = 0;
  std::int64_t stored = 0;                   // iterations stored so far
  std::vector<std::vector<double>> history;  // arrays: `depth` iterations
  std::vector<double> values;                // single values: depth + 1, current included
  std::vector<View> views;                   // this iteration's data
  bool is_clipped = false;
  Selection selection;  // what is subscribed: the input's part of the region

  // Arrays: the window slot of the iteration `lag` back (1..depth); the current
  // iteration is stored in slot_of(depth), once read.
  [[nodiscard]] std::size_t slot_of(int lag) const {
    return static_cast<std::size_t>(((stored - lag) % depth + depth) % depth);
  }
};

struct Partition::DomainState {
  Box region;  // of the domain's array: the bounding box of the owned boxes
  std::vector<std::pair<Index3, Index3>> owned;  // start and count, relative to the region
  Index3 shape{};                                // the region's count
  Index3 origin{};                               // the region's start
  std::vector<Chunk> chunks;
  std::vector<std::vector<View>> signature;  // the views the chunks were planned for
  bool is_planned = false;
  std::vector<int> position;  // per input index: its place in the domain's inputs
  std::vector<std::vector<double>> registers;
  std::vector<int> register_of;        // per template node
  std::vector<const double*> operand;  // per template node: this tile's values
  std::unique_ptr<Accumulators> accumulators;
  std::vector<FusedSummaries> fused;        // per template node: summaries fed in its loop
  std::vector<bool> is_fed;                 // per accumulator: fed in an elementwise node's loop
  std::size_t tile = tile_elements;         // elements per tile (evaluate.hpp)
  std::vector<std::vector<double>> arrays;  // per Domain::arrays, over the region
  std::vector<std::uint32_t> broadcasts;    // scalar nodes the pass reads, one register each
  std::vector<int> windowed;                // the domain's inputs that keep a window
  bool store_after_pass = false;            // a windowed input is clipped this iteration
};

Ownership Ownership::everything(const Template& compiled) {
  Ownership o;
  for (const auto& domain : compiled.domains) {
    o.boxes.push_back({Box{Extents(domain.shape.size(), 0), domain.shape}});
  }
  return o;
}

Partition::Partition(Template compiled, Ownership ownership, channel::Consumer& consumer)
    : m_template(std::move(compiled)), m_ownership(std::move(ownership)) {
  m_counters.compilations = 1;
  m_counters.placements = 1;
  m_domains.resize(m_template.domains.size());
  for (std::size_t di = 0; di < m_domains.size(); ++di) {
    auto& d = m_domains[di];
    const auto& boxes = m_ownership.boxes[di];
    d.region = bounding_box(boxes);
    for (const auto& box : boxes) {
      Box local = box;
      for (std::size_t dim = 0; dim < local.start.size(); ++dim) {
        local.start[dim] -= d.region.start[dim];
      }
      d.owned.emplace_back(index3(local.start, 0), index3(local.count, 1));
    }
  }
  subscribe(consumer);
  prepare();
}

Partition::~Partition() = default;

void Partition::subscribe(channel::Consumer& consumer) {
  std::vector<channel::Subscription*> members;
  for (const auto& input : m_template.inputs) {
    InputState state;
    state.depth = input.depth;
    if (input.is_value) {
      state.subscription = &consumer.subscribe_value_dtype(input.stream, input.dtype);
      state.values.assign(static_cast<std::size_t>(state.depth + 1), nan);
    } else {
      const auto& d = m_domains[static_cast<std::size_t>(input.domain)];
      if (!d.region.count.empty() && product(d.region.count) > 0) {
        state.selection = compose(input.selection, Selection::of(d.region));
        state.subscription = &consumer.subscribe_dtype(input.stream, input.dtype, &state.selection);
        if (state.depth > 0) {
          state.history.assign(
              static_cast<std::size_t>(state.depth),
              std::vector<double>(static_cast<std::size_t>(state.selection.elements()), nan));
          m_counters.allocations += static_cast<std::uint64_t>(state.depth);
        }
      }
    }
    if (state.subscription != nullptr) {
      members.push_back(state.subscription);
      ++m_counters.subscriptions;
    }
    m_inputs.push_back(std::move(state));
  }
  if (members.empty()) {
    throw InvalidArgument("placing graph '" + m_template.name + "'", "a partition reads no input",
                          "report this: the placement is wrong");
  }
  m_group = std::make_unique<channel::StepGroup>(std::move(members));
}

void Partition::prepare() {
  const auto& nodes = m_template.nodes;
  m_values.assign(nodes.size(), Value{});
  for (auto id : m_template.scalar_order) {
    m_values[id].dtype = nodes[id].dtype;
    m_values[id].shape = nodes[id].shape;
    m_values[id].data.assign(static_cast<std::size_t>(product(nodes[id].shape)), nan);
  }
  ++m_counters.allocations;
  for (std::size_t di = 0; di < m_template.domains.size(); ++di) {
    const Domain& domain = m_template.domains[di];
    DomainState& d = m_domains[di];
    d.shape = index3(d.region.count.empty() ? Extents{0} : d.region.count, 1);
    d.origin = index3(d.region.start.empty() ? Extents{0} : d.region.start, 0);
    d.windowed.clear();
    for (int input : domain.inputs) {
      if (m_template.inputs[static_cast<std::size_t>(input)].depth > 0) {
        d.windowed.push_back(input);
      }
    }
    d.chunks.clear();
    d.signature.clear();
    d.is_planned = false;
    d.registers.clear();
    d.broadcasts.clear();
    d.arrays.clear();
    d.position.assign(m_template.inputs.size(), -1);
    for (std::size_t p = 0; p < domain.inputs.size(); ++p) {
      d.position[static_cast<std::size_t>(domain.inputs[p])] = static_cast<int>(p);
    }
    d.register_of.assign(nodes.size(), -1);
    d.operand.assign(nodes.size(), nullptr);
    const auto add_register = [&](std::uint32_t node) {
      if (d.register_of[node] < 0) {
        d.register_of[node] = static_cast<int>(d.registers.size());
        d.registers.emplace_back(tile_elements, nan);  // stays NaN: an empty window
        ++m_counters.allocations;
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
    d.accumulators = std::make_unique<Accumulators>(m_template, domain);
    d.fused = plan_fused_summaries(m_template, domain, *d.accumulators, d.is_fed);
    const bool has_fused = std::find(d.is_fed.begin(), d.is_fed.end(), true) != d.is_fed.end();
    d.tile = has_fused ? fused_tile_elements : tile_elements;
    m_counters.allocations += d.accumulators->list.size();
    for (auto id : domain.arrays) {
      (void)id;
      d.arrays.emplace_back(static_cast<std::size_t>(d.shape[0] * d.shape[1] * d.shape[2]), nan);
      ++m_counters.allocations;
    }
  }
}

void Partition::rebuild(Template compiled) {
  m_template = std::move(compiled);
  ++m_counters.compilations;
  ++m_counters.placements;
  prepare();
}

channel::GroupStep Partition::next(std::chrono::milliseconds timeout) {
  return m_group->next(timeout);
}

void Partition::gather_views(channel::GroupStep& step) {
  std::size_t member = 0;
  for (std::size_t i = 0; i < m_inputs.size(); ++i) {
    const Input& input = m_template.inputs[i];
    InputState& state = m_inputs[i];
    if (state.subscription == nullptr) {
      continue;
    }
    channel::Step& s = step[member++];
    if (input.is_value) {
      const auto slots = static_cast<std::int64_t>(state.values.size());
      state.values[static_cast<std::size_t>(state.stored % slots)] = value_of(s, input.dtype);
      continue;
    }
    const Selection& asked = state.selection;
    const Selection& got = s.selection();
    state.is_clipped = got.count != asked.count;
    if (got.elements() == 0) {
      state.views.clear();
      continue;
    }
    // Where the step's part of the selection starts in it (steering may clip it).
    Index3 offset{0, 0, 0};
    const std::size_t skip = 3 - asked.start.size();
    for (std::size_t dim = 0; dim < asked.start.size(); ++dim) {
      offset[skip + dim] = (got.start[dim] - asked.start[dim]) / asked.every[dim];
    }
    const auto place = [&](View& view, const void* data, const Extents& count,
                           const Extents& strides, const Extents& start) {
      view.data = data;
      view.count = index3(count, 1);
      view.strides = index3(strides, 0);
      view.start = index3(start, 0);
      for (std::size_t dim = 0; dim < 3; ++dim) {
        view.start[dim] += offset[dim];
      }
    };
    if (s.in_place()) {
      const auto blocks = s.blocks();
      state.views.resize(blocks.size());
      for (std::size_t b = 0; b < blocks.size(); ++b) {
        place(state.views[b], blocks[b].data, blocks[b].count, blocks[b].strides,
              blocks[b].result_start);
      }
    } else {
      state.views.resize(1);
      place(state.views[0], data_of(s, input.dtype), got.count, row_major_strides(got.count),
            Extents(got.count.size(), 0));
    }
  }
}

void Partition::plan(std::size_t di) {
  const Domain& domain = m_template.domains[di];
  DomainState& d = m_domains[di];
  bool same = d.is_planned;
  for (std::size_t p = 0; same && p < domain.inputs.size(); ++p) {
    const auto& now = m_inputs[static_cast<std::size_t>(domain.inputs[p])].views;
    const auto& then = d.signature[p];
    same = now.size() == then.size();
    for (std::size_t v = 0; same && v < now.size(); ++v) {
      same = now[v].same_place(then[v]);
    }
  }
  if (same) {
    return;
  }
  // The common refinement of the inputs' views and the owned boxes: each chunk lies in
  // one view of each input and in one owned box.
  d.signature.clear();
  std::vector<Chunk> chunks;
  for (const auto& [start, count] : d.owned) {
    chunks.push_back({start, count, {}, {}});
  }
  for (std::size_t p = 0; p < domain.inputs.size(); ++p) {
    const auto& views = m_inputs[static_cast<std::size_t>(domain.inputs[p])].views;
    d.signature.push_back(views);
    std::vector<Chunk> refined;
    for (const auto& chunk : chunks) {
      for (std::size_t v = 0; v < views.size(); ++v) {
        Chunk part = chunk;
        if (clip_chunk(part, views[v].start, views[v].count)) {
          part.view.push_back(static_cast<int>(v));
          refined.push_back(std::move(part));
        }
      }
    }
    chunks = std::move(refined);
  }
  for (auto& chunk : chunks) {
    for (std::size_t p = 0; p < domain.inputs.size(); ++p) {
      const auto& view = d.signature[p][static_cast<std::size_t>(chunk.view[p])];
      std::int64_t offset = 0;
      for (std::size_t dim = 0; dim < 3; ++dim) {
        offset += (chunk.start[dim] - view.start[dim]) * view.strides[dim];
      }
      chunk.offset.push_back(offset);
    }
  }
  d.chunks = std::move(chunks);
  d.is_planned = true;
  ++m_counters.replans;
}

// Keeps the current values of a tile of each windowed input: they replace the oldest
// iteration of the window, which the tile has read by now.
void Partition::store_tile(DomainState& d, const Chunk& chunk, std::int64_t i, std::int64_t j,
                           std::int64_t k, std::size_t n, std::size_t index) {
  for (int input_index : d.windowed) {
    InputState& input = m_inputs[static_cast<std::size_t>(input_index)];
    const auto p = static_cast<std::size_t>(d.position[static_cast<std::size_t>(input_index)]);
    const View& view = input.views[static_cast<std::size_t>(chunk.view[p])];
    const std::int64_t offset =
        chunk.offset[p] + i * view.strides[0] + j * view.strides[1] + k * view.strides[2];
    load(m_template.inputs[static_cast<std::size_t>(input_index)].dtype, view.data, offset,
         view.strides[2], n, input.history[input.slot_of(input.depth)].data() + index);
  }
}

// An arithmetic node over a tile, feeding the summaries fusion.hpp planned for it; `at`
// is the tile's first element in the domain's array.
void Partition::apply_summarised(DomainState& d, const TemplateNode& node,
                                 const FusedSummaries& fused, const double* const* args,
                                 double* out, std::size_t n, const Index3& at) {
  kernels::Summary<double> summaries[3];
  const auto wanted = [&](int accumulator, kernels::Summary<double>& s) {
    return accumulator >= 0 ? &s : nullptr;
  };
  kernels::arithmetic(*arithmetic_of(node.op), {args[0], n}, {args[1], n}, {out, n},
                      {.x = wanted(fused.x, summaries[0]),
                       .y = wanted(fused.y, summaries[1]),
                       .out = wanted(fused.out, summaries[2])});
  const int fed[3] = {fused.x, fused.y, fused.out};
  for (std::size_t s = 0; s < 3; ++s) {
    if (fed[s] >= 0) {
      d.accumulators->list[static_cast<std::size_t>(fed[s])].add_summary(summaries[s], n, at[0],
                                                                         at[1], at[2]);
    }
  }
}

void Partition::run_chunk(DomainState& d, const Domain& domain, const Chunk& chunk, bool& failed) {
  const auto& nodes = m_template.nodes;
  const auto run_tile = [&](std::int64_t i, std::int64_t j, std::int64_t k, std::size_t n) {
    const std::int64_t r0 = chunk.start[0] + i;
    const std::int64_t r1 = chunk.start[1] + j;
    const std::int64_t r2 = chunk.start[2] + k;
    const auto index = static_cast<std::size_t>((r0 * d.shape[1] + r1) * d.shape[2] + r2);
    if (failed) {
      if (!d.store_after_pass) {
        store_tile(d, chunk, i, j, k, n, index);  // the windows still get this iteration
      }
      return;
    }
    for (auto id : domain.program) {
      const TemplateNode& node = nodes[id];
      double* reg = d.registers[static_cast<std::size_t>(d.register_of[id])].data();
      if (node.op == Op::stream) {
        InputState& input = m_inputs[static_cast<std::size_t>(node.input)];
        if (node.lag > 0) {
          // An iteration the window does not hold yet reads the register: NaN.
          d.operand[id] = input.stored >= node.lag
                              ? input.history[input.slot_of(node.lag)].data() + index
                              : reg;
          continue;
        }
        const auto p = static_cast<std::size_t>(d.position[static_cast<std::size_t>(node.input)]);
        const View& view = input.views[static_cast<std::size_t>(chunk.view[p])];
        const std::int64_t offset =
            chunk.offset[p] + i * view.strides[0] + j * view.strides[1] + k * view.strides[2];
        const Dtype dtype = m_template.inputs[static_cast<std::size_t>(node.input)].dtype;
        if (dtype == Dtype::f64 && view.strides[2] == 1) {
          d.operand[id] = static_cast<const double*>(view.data) + offset;  // in place
        } else {
          load(dtype, view.data, offset, view.strides[2], n, reg);
          d.operand[id] = reg;
        }
        continue;
      }
      const double* args[3] = {nullptr, nullptr, nullptr};
      for (std::size_t a = 0; a < node.args.size(); ++a) {
        const auto arg = node.args[a];
        args[a] = nodes[arg].phase == Phase::scalar
                      ? d.registers[static_cast<std::size_t>(d.register_of[arg])].data()
                      : d.operand[arg];
      }
      try {
        if (d.fused[id].any()) {
          apply_summarised(d, node, d.fused[id], args, reg, n,
                           {d.origin[0] + r0, d.origin[1] + r1, d.origin[2] + r2});
        } else {
          apply(node, args, reg, n);
        }
      } catch (...) {
        failed = true;
        m_failure = std::current_exception();
        break;
      }
      d.operand[id] = reg;
    }
    if (!failed) {
      try {
        auto& list = d.accumulators->list;
        for (std::size_t a = 0; a < list.size(); ++a) {
          if (!d.is_fed[a]) {
            list[a].add(d.operand[list[a].operand()], n, d.origin[0] + r0, d.origin[1] + r1,
                        d.origin[2] + r2);
          }
        }
      } catch (...) {
        failed = true;
        m_failure = std::current_exception();
      }
    }
    if (!failed) {
      for (std::size_t a = 0; a < domain.arrays.size(); ++a) {
        std::memcpy(d.arrays[a].data() + index, d.operand[domain.arrays[a]], n * sizeof(double));
      }
    }
    if (!d.store_after_pass) {
      store_tile(d, chunk, i, j, k, n, index);
    }
  };
  for_each_tile(chunk.count, run_tile, d.tile);
}

void Partition::run_domain(std::size_t di, bool& failed) {
  const Domain& domain = m_template.domains[di];
  DomainState& d = m_domains[di];
  if (d.owned.empty()) {
    return;
  }
  plan(di);
  bool is_clipped = false;
  d.store_after_pass = false;
  for (int input : domain.inputs) {
    const auto& state = m_inputs[static_cast<std::size_t>(input)];
    is_clipped = is_clipped || state.is_clipped;
    d.store_after_pass = d.store_after_pass || (state.is_clipped && state.depth > 0);
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
  for (auto& acc : d.accumulators->list) {
    acc.reset();
  }
  for (const auto& chunk : d.chunks) {
    run_chunk(d, domain, chunk, failed);
  }
  if (d.store_after_pass) {
    // Steering hid part of a windowed input: the cells it hid are NaN in the window,
    // the others are stored (after the pass: the whole oldest slot is rewritten).
    for (int input_index : d.windowed) {
      auto& input = m_inputs[static_cast<std::size_t>(input_index)];
      auto& slot = input.history[input.slot_of(input.depth)];
      std::fill(slot.begin(), slot.end(), nan);
    }
    for (const auto& chunk : d.chunks) {
      for_each_tile(chunk.count,
                    [&](std::int64_t i, std::int64_t j, std::int64_t k, std::size_t n) {
                      const auto index = static_cast<std::size_t>(
                          ((chunk.start[0] + i) * d.shape[1] + chunk.start[1] + j) * d.shape[2] +
                          chunk.start[2] + k);
                      store_tile(d, chunk, i, j, k, n, index);
                    });
    }
  }
}

void Partition::run(channel::GroupStep& step, Partial& out) {
  const auto started = Clock::now();
  out.iteration = step.iteration();
  out.committed_ns = 0;
  for (std::size_t member = 0; member < step.size(); ++member) {
    out.committed_ns = std::max<std::int64_t>(out.committed_ns,
                                              std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  step[member].committed_at().time_since_epoch())
                                                  .count());
  }
  gather_views(step);
  bool failed = false;
  m_failure = nullptr;
  try {
    for (auto id : m_template.scalar_order) {
      const TemplateNode& node = m_template.nodes[id];
      if (node.op == Op::value) {
        const InputState& input = m_inputs[static_cast<std::size_t>(node.input)];
        const auto slots = static_cast<std::int64_t>(input.values.size());
        m_values[id].data[0] =
            input.stored >= node.lag
                ? input.values[static_cast<std::size_t>((input.stored - node.lag) % slots)]
                : nan;
      } else {
        evaluate_small(m_template, id, m_values);
      }
    }
  } catch (...) {
    failed = true;
    m_failure = std::current_exception();
  }
  for (std::size_t di = 0; di < m_domains.size(); ++di) {
    run_domain(di, failed);
  }
  for (auto& input : m_inputs) {
    if (input.subscription != nullptr) {
      ++input.stored;
    }
  }
  out.failed = failed;
  out.error = failed ? failure_message(m_failure) : std::string();
  pack(out);
  out.time_us = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
}

void Partition::pack(Partial& out) const {
  out.scalars.resize(m_template.scalar_order.size());
  for (std::size_t s = 0; s < m_template.scalar_order.size(); ++s) {
    out.scalars[s] = m_values[m_template.scalar_order[s]].data[0];
  }
  out.reductions.resize(m_domains.size());
  std::size_t array_count = 0;
  for (const auto& domain : m_template.domains) {
    array_count += domain.arrays.size();
  }
  out.arrays.resize(array_count);
  std::size_t a = 0;
  for (std::size_t di = 0; di < m_domains.size(); ++di) {
    const auto& d = m_domains[di];
    auto& reductions = out.reductions[di];
    reductions.resize(d.accumulators->list.size());
    for (std::size_t r = 0; r < reductions.size(); ++r) {
      reductions[r] = d.accumulators->list[r].data();  // copies reuse capacity
    }
    for (const auto& array : d.arrays) {
      auto& part = out.arrays[a++];
      part.clear();
      for (const auto& [start, count] : d.owned) {
        for (std::int64_t i = 0; i < count[0]; ++i) {
          for (std::int64_t j = 0; j < count[1]; ++j) {
            const auto at = static_cast<std::size_t>(
                ((start[0] + i) * d.shape[1] + start[1] + j) * d.shape[2] + start[2]);
            part.insert(part.end(), array.begin() + static_cast<std::ptrdiff_t>(at),
                        array.begin() + static_cast<std::ptrdiff_t>(at) + count[2]);
          }
        }
      }
    }
  }
  out.counters = counters();
}

void Partition::close() {
  if (m_is_closed) {
    return;
  }
  m_is_closed = true;
  for (auto& input : m_inputs) {
    if (input.subscription != nullptr) {
      input.subscription->close();
    }
  }
}

PartitionCounters Partition::counters() const {
  PartitionCounters c = m_counters;
  c.tasks = 0;
  for (const auto& d : m_domains) {
    c.tasks += d.chunks.size();
  }
  for (const auto& input : m_inputs) {
    if (input.subscription != nullptr) {
      c.bytes_pulled += input.subscription->counters().bytes_pulled;
    }
  }
  c.skipped = m_group->counters().incomplete;
  return c;
}

}  // namespace sluice::graph::detail
