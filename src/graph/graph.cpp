// The graph builder: nodes appended in order, so that a node's arguments always come
// before it (the description is topologically sorted by construction).
#include "sluice/graph/graph.hpp"

#include <utility>

#include "sluice/core/error.hpp"

namespace sluice::graph {

std::string_view op_name(Op op) noexcept {
  switch (op) {
    case Op::stream:
      return "stream";
    case Op::value:
      return "value";
    case Op::constant:
      return "constant";
    case Op::add:
      return "add";
    case Op::subtract:
      return "subtract";
    case Op::multiply:
      return "multiply";
    case Op::divide:
      return "divide";
    case Op::negate:
      return "negate";
    case Op::abs:
      return "abs";
    case Op::sqrt:
      return "sqrt";
    case Op::exp:
      return "exp";
    case Op::log:
      return "log";
    case Op::minimum:
      return "minimum";
    case Op::maximum:
      return "maximum";
    case Op::less:
      return "less";
    case Op::less_equal:
      return "less_equal";
    case Op::greater:
      return "greater";
    case Op::greater_equal:
      return "greater_equal";
    case Op::equal:
      return "equal";
    case Op::not_equal:
      return "not_equal";
    case Op::where:
      return "where";
    case Op::cast:
      return "cast";
    case Op::slice:
      return "slice";
    case Op::sum:
      return "sum";
    case Op::mean:
      return "mean";
    case Op::min:
      return "min";
    case Op::max:
      return "max";
    case Op::count:
      return "count";
    case Op::histogram:
      return "histogram";
    case Op::map:
      return "map";
    case Op::reduction:
      return "reduction";
  }
  return "?";
}

Graph::Graph(std::string name) : m_name(std::move(name)) {}

Graph::Graph(std::string name, std::vector<NodeSpec> nodes, std::vector<OutputSpec> outputs,
             std::vector<Callback> callbacks)
    : m_name(std::move(name)),
      m_nodes(std::move(nodes)),
      m_outputs(std::move(outputs)),
      m_callbacks(std::move(callbacks)) {}

Node Graph::add(NodeSpec spec, std::initializer_list<Node> args) {
  for (const Node& arg : args) {
    if (arg.graph() != this) {
      throw InvalidArgument(
          "adding a " + std::string(op_name(spec.op)) + " node to graph '" + m_name + "'",
          arg.valid() ? "an operand belongs to another graph" : "an operand is an empty Node",
          "build every node of a graph from that graph's inputs");
    }
    spec.args.push_back(arg.index());
  }
  m_nodes.push_back(std::move(spec));
  return Node(this, static_cast<std::uint32_t>(m_nodes.size() - 1));
}

const NodeSpec& Graph::spec(Node node) const {
  if (node.graph() != this) {
    throw InvalidArgument("reading a node of graph '" + m_name + "'",
                          "the node belongs to another graph", "");
  }
  return m_nodes[node.index()];
}

NodeSpec& Graph::spec(Node node) { return const_cast<NodeSpec&>(std::as_const(*this).spec(node)); }

Node Graph::stream(std::string_view name, const Selection& selection) {
  return add({.op = Op::stream, .name = std::string(name), .selection = selection}, {});
}

Node Graph::value(std::string_view name) {
  return add({.op = Op::value, .name = std::string(name)}, {});
}

Node Graph::constant(double value) { return add({.op = Op::constant, .constant = value}, {}); }

std::vector<Node> Graph::window(std::string_view name, int iterations, const Selection& selection) {
  if (iterations < 1) {
    throw InvalidArgument("making a window of stream '" + std::string(name) + "'",
                          "it asks for " + std::to_string(iterations) + " iterations",
                          "ask for 1 or more");
  }
  const Node current = stream(name, selection);
  std::vector<Node> nodes;
  for (int back = iterations - 1; back > 0; --back) {
    nodes.push_back(current.previous(back));
  }
  nodes.push_back(current);
  return nodes;
}

void Graph::output(std::string_view stream, Node node, channel::ChannelOptions options) {
  (void)spec(node);
  if (stream.empty()) {
    throw InvalidArgument("adding an output to graph '" + m_name + "'",
                          "the derived stream has no name", "name it");
  }
  m_outputs.push_back({.stream = std::string(stream), .nodes = {node.index()}, .options = options});
}

void Graph::on(std::vector<Node> nodes, Callback callback) {
  if (nodes.empty() || !callback) {
    throw InvalidArgument("adding a callback to graph '" + m_name + "'",
                          nodes.empty() ? "it has no node" : "the callback is empty",
                          "give one node or more and a callable");
  }
  OutputSpec out{.callback = m_callbacks.size()};
  for (const Node& node : nodes) {
    (void)spec(node);
    out.nodes.push_back(node.index());
  }
  m_callbacks.push_back(std::move(callback));
  m_outputs.push_back(std::move(out));
}

Node Node::previous(int iterations) const {
  if (m_graph == nullptr) {
    throw InvalidArgument("previous() of a node", "the node is empty", "");
  }
  const NodeSpec& input = m_graph->spec(*this);
  if ((input.op != Op::stream && input.op != Op::value) || iterations < 1) {
    throw InvalidArgument("previous(" + std::to_string(iterations) + ") of a " +
                              std::string(op_name(input.op)) + " node",
                          iterations < 1 ? "it must look back 1 iteration or more"
                                         : "only stream and value inputs have earlier iterations",
                          "apply previous() to g.stream(...) or g.value(...), then compute");
  }
  NodeSpec earlier = input;
  earlier.lag += iterations;
  earlier.args.clear();
  return m_graph->add(std::move(earlier), {});
}

Node Node::slice(const Selection& selection) const {
  if (m_graph == nullptr) {
    throw InvalidArgument("slice() of a node", "the node is empty", "");
  }
  return m_graph->add({.op = Op::slice, .selection = selection}, {*this});
}

Node Node::labeled(std::string_view label) const {
  if (m_graph == nullptr) {
    throw InvalidArgument("labelling a node", "the node is empty", "");
  }
  m_graph->spec(*this).label = std::string(label);
  return *this;
}

namespace {

Graph& graph_of(Node a) {
  if (!a.valid()) {
    throw InvalidArgument("combining graph nodes", "an operand is an empty Node",
                          "build nodes from a Graph's inputs");
  }
  return *a.graph();
}

Node binary(Op op, Node a, Node b) { return graph_of(a).add({.op = op}, {a, b}); }
Node with_constant(Op op, Node a, double b) {
  Graph& g = graph_of(a);
  return g.add({.op = op}, {a, g.constant(b)});
}
Node constant_with(Op op, double a, Node b) {
  Graph& g = graph_of(b);
  return g.add({.op = op}, {g.constant(a), b});
}
Node unary(Op op, Node a) { return graph_of(a).add({.op = op}, {a}); }
Node reduction(Op op, Node a, std::vector<int> axes) {
  return graph_of(a).add({.op = op, .axes = std::move(axes)}, {a});
}

}  // namespace

Node operator+(Node a, Node b) { return binary(Op::add, a, b); }
Node operator-(Node a, Node b) { return binary(Op::subtract, a, b); }
Node operator*(Node a, Node b) { return binary(Op::multiply, a, b); }
Node operator/(Node a, Node b) { return binary(Op::divide, a, b); }
Node operator-(Node a) { return unary(Op::negate, a); }
Node operator+(Node a, double b) { return with_constant(Op::add, a, b); }
Node operator-(Node a, double b) { return with_constant(Op::subtract, a, b); }
Node operator*(Node a, double b) { return with_constant(Op::multiply, a, b); }
Node operator/(Node a, double b) { return with_constant(Op::divide, a, b); }
Node operator+(double a, Node b) { return constant_with(Op::add, a, b); }
Node operator-(double a, Node b) { return constant_with(Op::subtract, a, b); }
Node operator*(double a, Node b) { return constant_with(Op::multiply, a, b); }
Node operator/(double a, Node b) { return constant_with(Op::divide, a, b); }
Node abs(Node a) { return unary(Op::abs, a); }
Node sqrt(Node a) { return unary(Op::sqrt, a); }
Node exp(Node a) { return unary(Op::exp, a); }
Node log(Node a) { return unary(Op::log, a); }
Node minimum(Node a, Node b) { return binary(Op::minimum, a, b); }
Node maximum(Node a, Node b) { return binary(Op::maximum, a, b); }
Node operator<(Node a, Node b) { return binary(Op::less, a, b); }
Node operator<=(Node a, Node b) { return binary(Op::less_equal, a, b); }
Node operator>(Node a, Node b) { return binary(Op::greater, a, b); }
Node operator>=(Node a, Node b) { return binary(Op::greater_equal, a, b); }
Node operator==(Node a, Node b) { return binary(Op::equal, a, b); }
Node operator!=(Node a, Node b) { return binary(Op::not_equal, a, b); }
Node operator<(Node a, double b) { return with_constant(Op::less, a, b); }
Node operator<=(Node a, double b) { return with_constant(Op::less_equal, a, b); }
Node operator>(Node a, double b) { return with_constant(Op::greater, a, b); }
Node operator>=(Node a, double b) { return with_constant(Op::greater_equal, a, b); }

Node where(Node condition, Node a, Node b) {
  return graph_of(condition).add({.op = Op::where}, {condition, a, b});
}

Node cast(Node a, Dtype dtype) { return graph_of(a).add({.op = Op::cast, .dtype = dtype}, {a}); }

Node sum(Node a, std::vector<int> axes) { return reduction(Op::sum, a, std::move(axes)); }
Node mean(Node a, std::vector<int> axes) { return reduction(Op::mean, a, std::move(axes)); }
Node min(Node a, std::vector<int> axes) { return reduction(Op::min, a, std::move(axes)); }
Node max(Node a, std::vector<int> axes) { return reduction(Op::max, a, std::move(axes)); }
Node count(Node a, std::vector<int> axes) { return reduction(Op::count, a, std::move(axes)); }

Summary summary(Node a) { return {sum(a), mean(a), min(a), max(a), count(a)}; }

Node histogram(Node a, double lo, double hi, std::int64_t bins) {
  return graph_of(a).add({.op = Op::histogram, .constant = lo, .upper = hi, .bins = bins}, {a});
}

Node map(std::string_view name, Node a) {
  return graph_of(a).add({.op = Op::map, .name = std::string(name)}, {a});
}

Node reduce(std::string_view name, Node a) {
  return graph_of(a).add({.op = Op::reduction, .name = std::string(name)}, {a});
}

}  // namespace sluice::graph
