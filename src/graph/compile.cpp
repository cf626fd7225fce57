// Compiling a graph: every check against the job's streams, then the lowering to
// domains of fused elementwise work (template.hpp). Runs once per submission (and once
// per iteration only in rebuild mode).
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "sluice/graph/compile_error.hpp"
#include "sluice/kernels/histogram.hpp"
#include "template.hpp"

namespace sluice::graph::detail {
namespace {

using Kind = CompileError::Kind;

bool is_float(Dtype d) { return d == Dtype::f32 || d == Dtype::f64; }

bool is_elementwise_binary(Op op) {
  switch (op) {
    case Op::add:
    case Op::subtract:
    case Op::multiply:
    case Op::divide:
    case Op::minimum:
    case Op::maximum:
    case Op::less:
    case Op::less_equal:
    case Op::greater:
    case Op::greater_equal:
    case Op::equal:
    case Op::not_equal:
      return true;
    default:
      return false;
  }
}

bool is_comparison(Op op) {
  return op == Op::less || op == Op::less_equal || op == Op::greater || op == Op::greater_equal ||
         op == Op::equal || op == Op::not_equal;
}

bool is_reduction(Op op) {
  return op == Op::sum || op == Op::mean || op == Op::min || op == Op::max || op == Op::count ||
         op == Op::histogram || op == Op::reduction;
}

// What the analysis knows of a description node.
struct Facts {
  Phase phase = Phase::scalar;
  Dtype dtype = Dtype::f64;
  Extents shape;  // empty: a scalar
  bool is_integral_constant = false;
  Selection selection;  // stream: resolved
  const channel::StreamInfo* stream = nullptr;
};

class Compiler {
 public:
  Compiler(const Graph& graph, const std::vector<channel::StreamInfo>& streams, bool is_new)
      : m_graph(graph), m_streams(streams), m_is_new(is_new) {}

  Template run() {
    m_template.name = m_graph.name();
    for (std::size_t i = 0; i < m_graph.nodes().size(); ++i) {
      m_facts.push_back(analyse(static_cast<std::uint32_t>(i)));
    }
    if (m_is_new) {
      check_outputs();
    }
    for (const auto& out : m_graph.outputs()) {
      TemplateOutput lowered{
          .stream = out.stream, .callback = out.callback, .options = out.options};
      for (auto node : out.nodes) {
        lowered.nodes.push_back(lower(node, std::nullopt));
      }
      m_template.outputs.push_back(std::move(lowered));
    }
    make_domains();
    return std::move(m_template);
  }

 private:
  [[noreturn]] void fail(Kind kind, std::uint32_t node, const std::string& problem,
                         const std::string& remedy) const {
    throw CompileError(kind, node, "compiling graph '" + m_graph.name() + "', " + describe(node),
                       problem, remedy);
  }

  [[nodiscard]] std::string describe(std::uint32_t index) const {
    const NodeSpec& spec = m_graph.nodes()[index];
    std::string text = "node " + std::to_string(index) + " (" + std::string(op_name(spec.op));
    if (!spec.name.empty()) {
      text += " '" + spec.name + "'";
    }
    if (!spec.label.empty()) {
      text += ", labelled '" + spec.label + "'";
    }
    return text + ")";
  }

  const channel::StreamInfo& find_stream(std::uint32_t index, const std::string& name) const {
    for (const auto& s : m_streams) {
      if (s.name == name) {
        return s;
      }
    }
    std::string names;
    for (const auto& s : m_streams) {
      names += (names.empty() ? "" : ", ") + s.name;
    }
    fail(Kind::unknown_stream, index, "the job has no stream of that name",
         names.empty() ? "no stream is exposed yet: submit once the simulation exposed its streams"
                       : "the job's streams are: " + names);
  }

  Facts analyse(std::uint32_t index) {
    const NodeSpec& spec = m_graph.nodes()[index];
    Facts f;
    const auto arg = [&](std::size_t i) -> const Facts& { return m_facts[spec.args[i]]; };
    const auto expect_args = [&](std::size_t n) {
      if (spec.args.size() != n) {
        fail(Kind::bad_argument, index,
             "it has " + std::to_string(spec.args.size()) + " operands instead of " +
                 std::to_string(n),
             "build nodes with the graph's functions");
      }
      for (auto a : spec.args) {
        if (a >= index) {
          fail(Kind::bad_argument, index, "an operand is not an earlier node",
               "build nodes with the graph's functions");
        }
      }
    };
    switch (spec.op) {
      case Op::stream:
      case Op::value: {
        expect_args(0);
        const auto& info = find_stream(index, spec.name);
        f.stream = &info;
        if (info.is_value != (spec.op == Op::value)) {
          fail(Kind::not_a_value, index,
               info.is_value ? "it is a single-value stream"
                             : "it is an array stream of shape " + to_string(info.global_shape),
               info.is_value ? "read it with g.value(\"" + spec.name + "\")"
                             : "read it with g.stream(\"" + spec.name + "\")");
        }
        if (spec.lag > max_window) {
          fail(Kind::window_too_deep, index,
               "it looks back " + std::to_string(spec.lag) + " iterations; a graph keeps at most " +
                   std::to_string(max_window),
               "look back less, or publish the older values as a stream of their own");
        }
        f.dtype = info.dtype;
        if (spec.op == Op::value) {
          f.phase = Phase::scalar;
          return f;
        }
        f.phase = Phase::block;
        if (spec.selection.start.empty() && spec.selection.count.empty()) {
          f.selection = Selection::all(info.global_shape);
        } else {
          f.selection = spec.selection.normalized();
          const std::string problem = f.selection.check_against(info.global_shape);
          if (!problem.empty()) {
            fail(Kind::bad_selection, index, problem,
                 "select inside the stream's shape " + to_string(info.global_shape));
          }
        }
        f.shape = f.selection.count;
        return f;
      }
      case Op::constant:
        expect_args(0);
        f.is_integral_constant =
            std::isfinite(spec.constant) && std::trunc(spec.constant) == spec.constant;
        f.dtype = f.is_integral_constant ? Dtype::i64 : Dtype::f64;
        return f;
      case Op::negate:
      case Op::abs:
      case Op::sqrt:
      case Op::exp:
      case Op::log:
      case Op::cast:
      case Op::map:
        expect_args(1);
        f = arg(0);
        f.is_integral_constant = false;
        f.stream = nullptr;
        if (spec.op == Op::cast) {
          f.dtype = spec.dtype;
        } else if (spec.op == Op::map) {
          if (!find_map(spec.name)) {
            unknown_operator(index, "elementwise");
          }
          f.dtype = Dtype::f64;
        } else if ((spec.op == Op::sqrt || spec.op == Op::exp || spec.op == Op::log) &&
                   !is_float(f.dtype)) {
          f.dtype = Dtype::f64;
        }
        return f;
      case Op::where:
        expect_args(3);
        return combine(index, {&arg(0), &arg(1), &arg(2)}, Op::where);
      case Op::slice: {
        expect_args(1);
        f = arg(0);
        f.stream = nullptr;
        if (f.shape.empty()) {
          fail(Kind::bad_argument, index, "it slices a scalar", "slice arrays only");
        }
        const Selection s = spec.selection.normalized();
        const std::string problem = s.check_against(f.shape);
        if (!problem.empty()) {
          fail(Kind::bad_selection, index, problem,
               "slice inside the operand's shape " + to_string(f.shape) +
                   " (coordinates are relative to it)");
        }
        f.shape = s.count;
        return f;
      }
      case Op::sum:
      case Op::mean:
      case Op::min:
      case Op::max:
      case Op::count: {
        expect_args(1);
        const Facts& a = arg(0);
        f.phase = a.phase == Phase::scalar ? Phase::scalar : Phase::reduced;
        f.shape = reduced_shape(index, a.shape, spec.axes);
        f.dtype = spec.op == Op::mean    ? Dtype::f64
                  : spec.op == Op::count ? Dtype::i64
                  : spec.op == Op::sum   ? (is_float(a.dtype) ? Dtype::f64 : Dtype::i64)
                                         : a.dtype;
        return f;
      }
      case Op::histogram: {
        expect_args(1);
        const Facts& a = arg(0);
        if (!std::isfinite(spec.constant) || !std::isfinite(spec.upper) ||
            !(spec.constant < spec.upper)) {
          fail(Kind::bad_argument, index,
               "its range [" + std::to_string(spec.constant) + ", " + std::to_string(spec.upper) +
                   "] is not an increasing pair of finite numbers",
               "give lo < hi");
        }
        if (spec.bins < 1 || static_cast<std::uint64_t>(spec.bins) > kernels::max_histogram_bins) {
          fail(Kind::bad_argument, index, "it asks for " + std::to_string(spec.bins) + " bins",
               "give 1 to " + std::to_string(kernels::max_histogram_bins) + " bins");
        }
        f.phase = a.phase == Phase::scalar ? Phase::scalar : Phase::reduced;
        f.shape = {spec.bins};
        f.dtype = Dtype::i64;
        return f;
      }
      case Op::reduction: {
        expect_args(1);
        const auto functions = find_reduction(spec.name);
        if (!functions) {
          unknown_operator(index, "reduction");
        }
        f.phase = arg(0).phase == Phase::scalar ? Phase::scalar : Phase::reduced;
        if (functions->length > 1) {
          f.shape = {static_cast<std::int64_t>(functions->length)};
        }
        f.dtype = Dtype::f64;
        return f;
      }
      default:
        break;
    }
    if (is_elementwise_binary(spec.op)) {
      expect_args(2);
      return combine(index, {&arg(0), &arg(1)}, spec.op);
    }
    fail(Kind::bad_argument, index, "the operation is not known", "");
  }

  [[noreturn]] void unknown_operator(std::uint32_t index, const char* kind) const {
    std::string names;
    for (const auto& n : operator_names()) {
      names += (names.empty() ? "" : ", ") + n;
    }
    fail(Kind::unknown_operator, index,
         std::string("no ") + kind + " operator is registered under that name",
         names.empty() ? "register it (sluice::graph::register_map / register_reduction) before "
                         "submitting the graph"
                       : "registered operators: " + names);
  }

  Extents reduced_shape(std::uint32_t index, const Extents& shape,
                        const std::vector<int>& axes) const {
    if (axes.empty()) {
      return {};
    }
    std::vector<bool> reduced(shape.size(), false);
    for (int axis : axes) {
      if (axis < 0 || static_cast<std::size_t>(axis) >= shape.size() ||
          reduced[static_cast<std::size_t>(axis)]) {
        fail(Kind::bad_argument, index,
             "axis " + std::to_string(axis) +
                 " is out of range or repeated for an operand of shape " + to_string(shape),
             "give distinct axes from 0 to " + std::to_string(static_cast<int>(shape.size()) - 1));
      }
      reduced[static_cast<std::size_t>(axis)] = true;
    }
    Extents result;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (!reduced[d]) {
        result.push_back(shape[d]);
      }
    }
    return result;
  }

  // Phases, shapes and dtypes of an elementwise operation.
  Facts combine(std::uint32_t index, std::vector<const Facts*> args, Op op) const {
    Facts f;
    bool has_block = false;
    bool has_reduced = false;
    for (const Facts* a : args) {
      has_block = has_block || a->phase == Phase::block;
      has_reduced = has_reduced || a->phase == Phase::reduced;
      if (!a->shape.empty()) {
        if (!f.shape.empty() && f.shape != a->shape) {
          fail(Kind::shape_mismatch, index,
               "its operands have shapes " + to_string(f.shape) + " and " + to_string(a->shape),
               "slice the operands to one shape, or reduce one of them");
        }
        f.shape = a->shape;
      }
    }
    if (has_block && has_reduced) {
      fail(Kind::unsupported, index,
           "it combines an array of the blocks with the result of a reduction of the same "
           "iteration (two passes over the blocks per iteration)",
           "use the reduction's value of the previous iteration through a derived stream, or "
           "compute it in a callback");
    }
    f.phase = has_block ? Phase::block : has_reduced ? Phase::reduced : Phase::scalar;
    // The value operands of where() decide its dtype, not the condition.
    const std::size_t first = op == Op::where ? 1 : 0;
    std::optional<Dtype> array_dtype;
    bool scalar_is_float = false;
    for (std::size_t i = first; i < args.size(); ++i) {
      const Facts* a = args[i];
      if (!a->shape.empty()) {
        if (array_dtype && *array_dtype != a->dtype) {
          fail(Kind::dtype_mismatch, index,
               "its operands are arrays of " + std::string(dtype_name(*array_dtype)) + " and " +
                   std::string(dtype_name(a->dtype)),
               "cast one of them: cast(x, sluice::Dtype::" + std::string(dtype_name(*array_dtype)) +
                   ")");
        }
        array_dtype = a->dtype;
      } else {
        scalar_is_float = scalar_is_float || is_float(a->dtype);
      }
    }
    if (array_dtype) {
      f.dtype = (!is_float(*array_dtype) && scalar_is_float) ? Dtype::f64 : *array_dtype;
    } else {
      f.dtype = scalar_is_float ? Dtype::f64 : Dtype::i64;
    }
    if (op == Op::divide && !is_float(f.dtype)) {
      f.dtype = Dtype::f64;
    }
    if (is_comparison(op)) {
      f.dtype = Dtype::u8;
    }
    return f;
  }

  void check_outputs() const {
    std::vector<std::string> names;
    for (const auto& out : m_graph.outputs()) {
      if (out.stream.empty()) {
        continue;
      }
      const auto node = out.nodes.front();
      const bool taken = std::find(names.begin(), names.end(), out.stream) != names.end() ||
                         std::any_of(m_streams.begin(), m_streams.end(),
                                     [&](const auto& s) { return s.name == out.stream; });
      if (taken) {
        fail(Kind::bad_argument, node,
             "its derived stream '" + out.stream + "' has the name of another stream",
             "give each derived stream a name of its own");
      }
      names.push_back(out.stream);
    }
  }

  // The template node computing description node `index`, sliced by `slice` (relative
  // to the node's own shape) if given. Slices of array expressions of the blocks move
  // down to the inputs they read.
  std::uint32_t lower(std::uint32_t index, const std::optional<Selection>& slice) {
    std::string key = std::to_string(index);
    if (slice) {
      key += "/" + to_string(slice->start) + to_string(slice->count) + to_string(slice->every);
    }
    if (const auto found = m_lowered.find(key); found != m_lowered.end()) {
      return found->second;
    }
    const NodeSpec& spec = m_graph.nodes()[index];
    const Facts& facts = m_facts[index];
    TemplateNode node{.op = spec.op,
                      .phase = facts.phase,
                      .dtype = facts.dtype,
                      .shape = facts.shape,
                      .source = index,
                      .what = describe(index)};
    if (spec.op == Op::slice && facts.phase == Phase::block) {
      const Selection inner = spec.selection.normalized();
      const std::uint32_t result = lower(spec.args[0], slice ? compose(inner, *slice) : inner);
      m_lowered.emplace(key, result);
      return result;
    }
    for (auto a : spec.args) {
      const bool passes_slice = facts.phase == Phase::block && m_facts[a].phase == Phase::block;
      node.args.push_back(lower(a, passes_slice ? slice : std::nullopt));
    }
    if (slice && facts.phase == Phase::block) {
      node.shape = slice->count;
    }
    switch (spec.op) {
      case Op::stream:
      case Op::value: {
        Selection selection = facts.selection;
        if (slice) {
          selection = compose(selection, *slice);
        }
        node.input = input_of(spec.name, selection, facts, spec.lag);
        node.lag = spec.lag;
        break;
      }
      case Op::constant:
        node.constant = spec.constant;
        break;
      case Op::histogram:
        node.constant = spec.constant;
        node.upper = spec.upper;
        node.bins = spec.bins;
        break;
      case Op::slice:
        node.selection = spec.selection.normalized();
        break;
      case Op::map:
        node.map = find_map(spec.name);
        break;
      case Op::reduction:
        node.reduction = find_reduction(spec.name);
        break;
      default:
        break;
    }
    if (is_reduction(spec.op) && spec.op != Op::histogram && spec.op != Op::reduction) {
      node.axes = spec.axes;
      if (node.axes.empty()) {
        node.axes.resize(m_facts[spec.args[0]].shape.size());
        std::iota(node.axes.begin(), node.axes.end(), 0);
      }
      std::sort(node.axes.begin(), node.axes.end());
    }
    m_template.nodes.push_back(std::move(node));
    const auto result = static_cast<std::uint32_t>(m_template.nodes.size() - 1);
    m_lowered.emplace(key, result);
    return result;
  }

  int input_of(const std::string& stream, const Selection& selection, const Facts& facts, int lag) {
    auto& inputs = m_template.inputs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].stream == stream && inputs[i].selection == selection) {
        inputs[i].depth = std::max(inputs[i].depth, lag);
        return static_cast<int>(i);
      }
    }
    inputs.push_back({.stream = stream,
                      .selection = selection,
                      .dtype = facts.dtype,
                      .is_value = facts.stream->is_value,
                      .depth = lag});
    return static_cast<int>(inputs.size() - 1);
  }

  void make_domains() {
    auto& nodes = m_template.nodes;
    // Union-find over the block nodes: operands of one elementwise node share a domain.
    std::vector<std::uint32_t> parent(nodes.size());
    std::iota(parent.begin(), parent.end(), 0);
    const auto find = [&](std::uint32_t x) {
      while (parent[x] != x) {
        x = parent[x] = parent[parent[x]];
      }
      return x;
    };
    // One pass reads an input once: the nodes reading any iteration of it share a domain.
    std::map<int, std::uint32_t> reader_of_input;
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].phase != Phase::block) {
        continue;
      }
      if (nodes[i].op == Op::stream) {
        const auto [it, is_new] = reader_of_input.emplace(nodes[i].input, i);
        if (!is_new) {
          parent[find(it->second)] = find(i);
        }
      }
      for (auto a : nodes[i].args) {
        if (nodes[a].phase == Phase::block) {
          parent[find(a)] = find(i);
        }
      }
    }
    std::map<std::uint32_t, int> domain_of_root;
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
      auto& node = nodes[i];
      if (node.phase == Phase::block) {
        const auto root = find(i);
        auto [it, is_new] =
            domain_of_root.emplace(root, static_cast<int>(m_template.domains.size()));
        if (is_new) {
          m_template.domains.push_back({.shape = node.shape});
        }
        node.domain = it->second;
        auto& domain = m_template.domains[static_cast<std::size_t>(node.domain)];
        domain.program.push_back(i);
        if (node.op == Op::stream) {
          auto& input = m_template.inputs[static_cast<std::size_t>(node.input)];
          if (input.domain < 0) {
            input.domain = node.domain;
            domain.inputs.push_back(node.input);
          }
        }
      } else if (node.phase == Phase::scalar) {
        m_template.scalar_order.push_back(i);
      } else if (is_reduction(node.op) && nodes[node.args[0]].phase == Phase::block) {
        node.domain = nodes[node.args[0]].domain;
        m_template.domains[static_cast<std::size_t>(node.domain)].reductions.push_back(i);
      } else {
        m_template.reduced_order.push_back(i);
      }
    }
    for (const auto& out : m_template.outputs) {
      for (auto n : out.nodes) {
        if (nodes[n].phase == Phase::block) {
          auto& arrays = m_template.domains[static_cast<std::size_t>(nodes[n].domain)].arrays;
          if (std::find(arrays.begin(), arrays.end(), n) == arrays.end()) {
            arrays.push_back(n);
          }
        }
      }
    }
  }

  const Graph& m_graph;
  const std::vector<channel::StreamInfo>& m_streams;
  bool m_is_new;
  std::vector<Facts> m_facts;
  std::map<std::string, std::uint32_t> m_lowered;
  Template m_template;
};

}  // namespace

Selection compose(const Selection& inner, const Selection& outer) {
  Selection s;
  for (std::size_t d = 0; d < inner.start.size(); ++d) {
    s.start.push_back(inner.start[d] + outer.start[d] * inner.every[d]);
    s.count.push_back(outer.count[d]);
    s.every.push_back(inner.every[d] * outer.every[d]);
  }
  return s;
}

Template compile(const Graph& graph, const std::vector<channel::StreamInfo>& streams, bool is_new) {
  return Compiler(graph, streams, is_new).run();
}

}  // namespace sluice::graph::detail
