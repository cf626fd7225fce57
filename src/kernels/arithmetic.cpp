#include "sluice/kernels/arithmetic.hpp"

#include <string>

#include "sluice/core/error.hpp"
#include "table.hpp"

namespace sluice::kernels {
namespace {

void run(const detail::KernelTable& table, Arithmetic op, std::span<const double> x,
         std::span<const double> y, std::span<double> out, const ArithmeticSummaries& summaries) {
  if (x.size() != out.size() || y.size() != out.size()) {
    throw InvalidArgument("computing elementwise arithmetic",
                          "the operands have " + std::to_string(x.size()) + " and " +
                              std::to_string(y.size()) + " elements and the result " +
                              std::to_string(out.size()),
                          "pass arrays of the same size");
  }
  table.arithmetic(op, x.data(), y.data(), out.data(), out.size(), summaries.x, summaries.y,
                   summaries.out);
}

}  // namespace

void arithmetic(Arithmetic op, std::span<const double> x, std::span<const double> y,
                std::span<double> out, const ArithmeticSummaries& summaries) {
  run(detail::best_table(), op, x, y, out, summaries);
}

void arithmetic(Arithmetic op, std::span<const double> x, std::span<const double> y,
                std::span<double> out, const ArithmeticSummaries& summaries, Isa isa) {
  run(detail::table_for(isa), op, x, y, out, summaries);
}

}  // namespace sluice::kernels
