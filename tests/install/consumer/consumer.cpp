// Built against an installed sluice by test_out_of_tree.sh.
#include <cstdio>

#include "sluice/core/version.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  sluice::Runtime runtime(sluice::Role::simulation);
  const int size = runtime.comm().size();
  if (runtime.comm().rank() == 0) {
    std::printf("consumer OK: sluice %s, %d simulation ranks\n", sluice::version_string().data(),
                size);
  }
  return size == runtime.world_size() ? 0 : 1;
}
