#pragma once
/// @file
/// sluice::graph::Graph: the description of a stream graph, built once.
///
/// A graph reads streams (arrays with a selection, single values such as the time),
/// computes on them per iteration and gives its results as **derived streams** (any
/// reader subscribes to them by name, like a simulation stream) or as **callbacks** in
/// the process that submits it. The description is a plain value: it names streams and
/// operators, holds no data and no MPI object, and is what a client ships; compiling it
/// against the job's streams (sluice::graph::Client::submit) validates it and lowers it
/// to per-block work.
///
/// @code
/// sluice::graph::Graph g("heat2d");
/// auto T = g.stream("temperature");                    // the whole array, every iteration
/// auto t = g.value("time");                            // a single-value stream
/// auto s = summary(T);                                 // sum, mean, min, max, count: one pass
/// auto dTdt = mean(T - T.previous()) / (t - t.previous());
/// auto hist = histogram(T, 0.0, 100.0, 16);            // numpy's semantics
/// g.output("temperature.mean", s.mean);                // a derived stream
/// g.on({s.mean, s.min, s.max, dTdt, hist}, [](std::int64_t k, std::span<const Value> v) {
///   std::printf("%lld %g\n", static_cast<long long>(k), v[0].scalar());
/// });
/// @endcode
///
/// **Values.** Arrays are evaluated elementwise in double, whatever their dtype; a
/// node's dtype (numpy's rules: f32 stays f32, integers stay integers under + - *,
/// division and sqrt/exp/log give f64, comparisons give u8) is what a derived stream of
/// it holds. Reductions follow numpy: a NaN makes sum, mean, min and max NaN; count is
/// the number of elements that are not NaN. A window reaching before the first iteration
/// the graph saw (`T.previous()` at its first iteration) reads NaN.
///
/// **Windows** hold the iterations the graph ran, the same ones for every input: an
/// iteration some input never has (not published, dropped under Policy::skip, withheld
/// by steering) is skipped by the graph, and is in no input's window, even that of an
/// input that published it. So `(T - T.previous()) / (t - t.previous())` always pairs
/// the same two iterations of T and t.
///
/// **Phases.** A graph computes in three phases per iteration: scalars from single-value
/// streams and constants; array expressions over the streams' blocks (fused into one
/// pass per block); and what follows the reductions (small arrays and scalars). An
/// array expression may use scalars of the first phase but not the result of a
/// reduction of the same iteration (compile error).
///
/// Node handles are cheap values pointing into their graph; the graph must outlive
/// them. Building is not thread-safe; nothing here is collective.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/channel/options.hpp"
#include "sluice/core/box.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/graph/value.hpp"

namespace sluice::graph {

/// What a node computes.
enum class Op : std::uint8_t {
  stream,  ///< an array stream's selection (with a lag: an earlier iteration)
  value,   ///< a single-value stream (with a lag)
  constant,
  add,
  subtract,
  multiply,
  divide,
  negate,
  abs,
  sqrt,
  exp,
  log,
  minimum,  ///< elementwise, of two operands
  maximum,
  less,
  less_equal,
  greater,
  greater_equal,
  equal,
  not_equal,
  where,  ///< where(condition, a, b)
  cast,   ///< to another dtype
  slice,  ///< a strided sub-box of an array
  sum,
  mean,
  min,
  max,
  count,
  histogram,
  map,        ///< a user operator, elementwise over chunks
  reduction,  ///< a user reduction: per-chunk partials and their combine
};

/// The name of an operation, as errors and the status print it ("add", "histogram").
[[nodiscard]] std::string_view op_name(Op op) noexcept;

/// One node of a description. Arguments are indices of earlier nodes.
struct NodeSpec {
  Op op = Op::constant;
  std::vector<std::uint32_t> args{};
  std::string name{};        ///< stream: the stream; map/reduction: the operator
  Selection selection{};     ///< stream: what to read (empty start: all); slice: the part
  int lag = 0;               ///< stream/value: how many iterations of the graph back
  double constant = 0.0;     ///< constant: its value; histogram: lo
  double upper = 0.0;        ///< histogram: hi
  std::int64_t bins = 0;     ///< histogram: number of bins
  std::vector<int> axes{};   ///< reductions: the axes reduced (empty: all)
  Dtype dtype = Dtype::f64;  ///< cast: the target
  std::string label{};       ///< a name for errors and the status (optional)
};

/// What the graph gives: a derived stream, or values for a callback.
struct OutputSpec {
  std::string stream{};                ///< derived stream name; empty for a callback
  std::vector<std::uint32_t> nodes{};  ///< one for a stream
  std::size_t callback = 0;            ///< index into the graph's callbacks
  channel::ChannelOptions options{};   ///< a derived stream's depth and policy
};

/// A derived stream's default: a reader that falls behind misses iterations rather
/// than holding the graph (and through it the simulation) back; ask for Policy::block
/// where every iteration must be read.
inline constexpr channel::ChannelOptions derived_stream_defaults{.depth = 4,
                                                                 .policy = channel::Policy::skip};

/// Called with an iteration's values of the nodes given to Graph::on, in that order.
using Callback = std::function<void(std::int64_t iteration, std::span<const Value> values)>;

class Graph;

/// A handle on a node of a graph: combine it with operators and functions below.
class Node {
 public:
  Node() = default;
  /// The same input `iterations` iterations of the graph earlier (1: the previous
  /// iteration the graph ran; see Windows above).
  /// Only on stream and value inputs; InvalidArgument otherwise or for iterations < 1.
  [[nodiscard]] Node previous(int iterations = 1) const;
  /// Elements `selection` of this array (start, count and every, relative to it).
  [[nodiscard]] Node slice(const Selection& selection) const;
  /// Names the node in errors and the status. Returns *this.
  Node labeled(std::string_view label) const;

  [[nodiscard]] Graph* graph() const noexcept { return m_graph; }
  [[nodiscard]] std::uint32_t index() const noexcept { return m_index; }
  [[nodiscard]] bool valid() const noexcept { return m_graph != nullptr; }

 private:
  friend class Graph;
  Node(Graph* graph, std::uint32_t index) : m_graph(graph), m_index(index) {}
  Graph* m_graph = nullptr;
  std::uint32_t m_index = 0;
};

/// Several reductions of one array, computed in the same pass.
struct Summary {
  Node sum, mean, min, max, count;
};

class Graph {
 public:
  /// A graph named `name` (graphs of a job have distinct names; outputs of the graph
  /// appear in the status under it).
  explicit Graph(std::string name);
  /// A graph from a description made elsewhere (a copy, a text form). The nodes are
  /// checked when the graph is compiled.
  Graph(std::string name, std::vector<NodeSpec> nodes, std::vector<OutputSpec> outputs,
        std::vector<Callback> callbacks);
  Graph(const Graph&) = delete;  // nodes point to their graph
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = delete;
  Graph& operator=(Graph&&) = delete;

  /// An array stream, whole or a selection of it (global coordinates).
  [[nodiscard]] Node stream(std::string_view name, const Selection& selection = {});
  /// A single-value stream (Producer::expose_value), e.g. the simulation time.
  [[nodiscard]] Node value(std::string_view name);
  [[nodiscard]] Node constant(double value);
  /// The stream over the last `iterations` iterations the graph ran, oldest first (the
  /// last is the current one; see Windows above).
  [[nodiscard]] std::vector<Node> window(std::string_view name, int iterations,
                                         const Selection& selection = {});

  /// Publishes `node` as the derived stream `stream` every iteration: scalars as a
  /// single-value stream, arrays with their shape and dtype.
  void output(std::string_view stream, Node node,
              channel::ChannelOptions options = derived_stream_defaults);
  /// Calls `callback` in the submitting process with the values of `nodes` every
  /// iteration the graph completes.
  void on(std::vector<Node> nodes, Callback callback);
  void on(Node node, Callback callback) { on(std::vector<Node>{node}, std::move(callback)); }

  [[nodiscard]] const std::string& name() const noexcept { return m_name; }
  [[nodiscard]] const std::vector<NodeSpec>& nodes() const noexcept { return m_nodes; }
  [[nodiscard]] const std::vector<OutputSpec>& outputs() const noexcept { return m_outputs; }
  [[nodiscard]] const std::vector<Callback>& callbacks() const noexcept { return m_callbacks; }

  /// Adds a node (what the functions below use). InvalidArgument if an argument
  /// belongs to another graph or is not a node.
  Node add(NodeSpec spec, std::initializer_list<Node> args);
  /// The spec of a node of this graph.
  [[nodiscard]] const NodeSpec& spec(Node node) const;
  NodeSpec& spec(Node node);

 private:
  std::string m_name;
  std::vector<NodeSpec> m_nodes;
  std::vector<OutputSpec> m_outputs;
  std::vector<Callback> m_callbacks;
};

// Elementwise arithmetic: arrays of the same shape, or an array and a scalar.
Node operator+(Node a, Node b);
Node operator-(Node a, Node b);
Node operator*(Node a, Node b);
Node operator/(Node a, Node b);
Node operator-(Node a);
Node operator+(Node a, double b);
Node operator-(Node a, double b);
Node operator*(Node a, double b);
Node operator/(Node a, double b);
Node operator+(double a, Node b);
Node operator-(double a, Node b);
Node operator*(double a, Node b);
Node operator/(double a, Node b);
Node abs(Node a);
Node sqrt(Node a);
Node exp(Node a);
Node log(Node a);
/// Elementwise smaller / larger of two operands (NaN if either is NaN, as numpy).
Node minimum(Node a, Node b);
Node maximum(Node a, Node b);
// Comparisons: 1 where true, 0 where false (dtype u8).
Node operator<(Node a, Node b);
Node operator<=(Node a, Node b);
Node operator>(Node a, Node b);
Node operator>=(Node a, Node b);
Node operator==(Node a, Node b);
Node operator!=(Node a, Node b);
Node operator<(Node a, double b);
Node operator<=(Node a, double b);
Node operator>(Node a, double b);
Node operator>=(Node a, double b);
/// a where condition is not 0, b elsewhere.
Node where(Node condition, Node a, Node b);
/// The same values as another dtype (what a derived stream of it holds).
Node cast(Node a, Dtype dtype);

// Reductions over all axes (a scalar) or the given axes (the others remain).
Node sum(Node a, std::vector<int> axes = {});
Node mean(Node a, std::vector<int> axes = {});
Node min(Node a, std::vector<int> axes = {});
Node max(Node a, std::vector<int> axes = {});
Node count(Node a, std::vector<int> axes = {});
Summary summary(Node a);
/// numpy.histogram(a, bins, (lo, hi)): equal bins over [lo, hi], each closed on the left,
/// the last closed on both sides; values outside, and NaN, are not counted. Counts, i64.
Node histogram(Node a, double lo, double hi, std::int64_t bins);
/// A user operator registered under `name` (sluice/graph/operators.hpp), looked up when
/// the graph is compiled: elementwise, or a reduction to a small array.
Node map(std::string_view name, Node a);
Node reduce(std::string_view name, Node a);

}  // namespace sluice::graph
