#include "fusion.hpp"

namespace sluice::graph::detail {

std::optional<kernels::Arithmetic> arithmetic_of(Op op) noexcept {
  switch (op) {
    case Op::add:
      return kernels::Arithmetic::add;
    case Op::subtract:
      return kernels::Arithmetic::subtract;
    case Op::multiply:
      return kernels::Arithmetic::multiply;
    case Op::divide:
      return kernels::Arithmetic::divide;
    default:
      return std::nullopt;
  }
}

std::vector<FusedSummaries> plan_fused_summaries(const Template& compiled, const Domain& domain,
                                                 const Accumulators& accumulators,
                                                 std::vector<bool>& is_fed) {
  const auto& nodes = compiled.nodes;
  std::vector<FusedSummaries> plan(nodes.size());
  is_fed.assign(accumulators.list.size(), false);
  // The summary of node `operand` over whole rows that is not fed yet, if any.
  const auto take = [&](std::uint32_t operand) {
    if (nodes[operand].phase != Phase::block) {
      return -1;  // a scalar broadcast over the tile: not an operand of the pass's reductions
    }
    for (std::size_t a = 0; a < accumulators.list.size(); ++a) {
      const Accumulator& acc = accumulators.list[a];
      if (!is_fed[a] && acc.operand() == operand && acc.summarises_rows()) {
        is_fed[a] = true;
        return static_cast<int>(a);
      }
    }
    return -1;
  };
  for (auto id : domain.program) {
    const TemplateNode& node = nodes[id];
    if (!arithmetic_of(node.op)) {
      continue;
    }
    FusedSummaries& fused = plan[id];
    fused.x = take(node.args[0]);
    fused.y = take(node.args[1]);  // none if it is args[0] again: that one is taken
    fused.out = take(id);
  }
  return plan;
}

}  // namespace sluice::graph::detail
