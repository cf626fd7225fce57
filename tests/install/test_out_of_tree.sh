#!/usr/bin/env bash
# Installs sluice into a scratch tree (meson install --destdir), builds the small
# programs in consumer/ against it through pkg-config (dependency('sluice') and
# dependency('sluice-steering-client'), and for C and Fortran simulations
# dependency('sluice') and dependency('sluice-fortran')), and runs them: the simulation
# on 2 MPI ranks, the steering client against a closed port, the C and the Fortran
# simulations on 2 ranks each with a C++ reader checking their stream.
# Usage: test_out_of_tree.sh BUILD_DIR CONSUMER_SOURCE MPIRUN
set -euo pipefail
build_dir=$1
consumer_source=$2
mpirun=$3

# meson test points LD_LIBRARY_PATH at the build tree; a user's program has no such help.
unset LD_LIBRARY_PATH
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

meson install -C "$build_dir" --destdir "$scratch/root" --no-rebuild --quiet

pcfile=$(find "$scratch/root" -name sluice.pc | head -1)
[ -n "$pcfile" ] || { echo "sluice.pc was not installed"; exit 1; }
pcdir=$(dirname "$pcfile")
echo "installed: $pcfile"
[ -f "$pcdir/sluice-steering-client.pc" ] || { echo "sluice-steering-client.pc was not installed"; exit 1; }
[ -f "$pcdir/sluice-fortran.pc" ] || { echo "sluice-fortran.pc was not installed"; exit 1; }
[ -n "$(find "$scratch/root" -path '*/include/sluice/sluice.h')" ] || { echo "sluice/sluice.h was not installed"; exit 1; }
[ -n "$(find "$scratch/root" -path '*/include/sluice/fortran/sluice.mod')" ] ||
  { echo "the Fortran module sluice.mod was not installed"; exit 1; }

# The steering client's public header is plain C++: no Thrift or generated header in it.
client_header=$(find "$scratch/root" -path '*/include/sluice/steering/client.hpp' | head -1)
[ -n "$client_header" ] || { echo "sluice/steering/client.hpp was not installed"; exit 1; }
if grep -nE '#include.*(thrift|Steering\.h|_types\.h)' "$client_header"; then
  echo "the installed steering client header includes Thrift or generated code"; exit 1
fi

# The .pc file is relocatable (prefix relative to its own folder), so pointing
# PKG_CONFIG_PATH at the scratch tree is all a user of a moved install needs.
export PKG_CONFIG_PATH="$pcdir"
# A sanitized libsluice needs a sanitized program (the runtime must load first).
sanitize=$(meson introspect "$build_dir" --buildoptions |
  /usr/bin/python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"))')
meson setup "$scratch/build" "$consumer_source" -Db_sanitize="$sanitize" >"$scratch/setup.log" 2>&1 ||
  { cat "$scratch/setup.log"; exit 1; }
ninja -C "$scratch/build" >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log"; exit 1; }

# The program must link the installed library, not the one in the build tree. (ldd's
# output is kept first: `ldd | grep -q` fails under pipefail when grep stops early.)
consumer_libraries=$(ldd "$scratch/build/consumer")
c_libraries=$(ldd "$scratch/build/c_simulation")
fortran_libraries=$(ldd "$scratch/build/fortran_simulation")
steer_libraries=$(ldd "$scratch/build/steer_consumer")
if grep -q "$build_dir" <<<"$consumer_libraries"; then
  echo "the consumer linked against the build tree"; exit 1
fi
if ! grep -q "libsluice.so.* => $scratch/root/" <<<"$consumer_libraries"; then
  echo "the consumer does not resolve libsluice from the installed tree:"
  ldd "$scratch/build/consumer"; exit 1
fi
if ! grep -q "libsluice.so.* => $scratch/root/" <<<"$c_libraries"; then
  echo "the C simulation does not resolve libsluice from the installed tree:"
  ldd "$scratch/build/c_simulation"; exit 1
fi
if ! grep -q "libsluice_fortran.so.* => $scratch/root/" <<<"$fortran_libraries"; then
  echo "the Fortran simulation does not resolve libsluice_fortran from the installed tree:"
  ldd "$scratch/build/fortran_simulation"; exit 1
fi
if ! grep -q "libsluice-steering-client.so.* => $scratch/root/" <<<"$steer_libraries"; then
  echo "the steering consumer does not resolve libsluice-steering-client from the installed tree:"
  ldd "$scratch/build/steer_consumer"; exit 1
fi
"$scratch/build/steer_consumer" | tee "$scratch/steer.log"
grep -q "steering client OK" "$scratch/steer.log"
"$mpirun" -np 2 "$scratch/build/consumer" | tee "$scratch/run.log"
grep -q "consumer OK: sluice [0-9.]*, 2 simulation ranks" "$scratch/run.log"
# Simulations in C and Fortran, each with a C++ reader checking what they published.
"$mpirun" -np 2 "$scratch/build/c_simulation" : -np 1 "$scratch/build/reader" | tee "$scratch/c.log"
grep -q "C simulation OK: sluice [0-9.]*, 2 simulation ranks" "$scratch/c.log"
grep -q "reader OK" "$scratch/c.log"
"$mpirun" -np 2 "$scratch/build/fortran_simulation" : -np 1 "$scratch/build/reader" |
  tee "$scratch/fortran.log"
grep -q "Fortran simulation OK: sluice [0-9.]*, 2 simulation ranks" "$scratch/fortran.log"
grep -q "reader OK" "$scratch/fortran.log"

# The Python module, when built (and not sanitized: a sanitizer runtime must be the
# first library of the process, which Python is not): importable from the installed
# tree, finding the installed libsluice.
python_package=$(find "$scratch/root" -path '*/sluice/__init__.py' | head -1)
if [ -n "$python_package" ] && [ "$sanitize" = none ]; then
  PYTHONPATH=$(dirname "$(dirname "$python_package")") LD_LIBRARY_PATH=$(dirname "$pcdir") \
    /usr/bin/python3 -c 'import sys, sluice
assert sluice.__file__.startswith(sys.argv[1]), sluice.__file__
assert not sluice._sluice.mpi_initialized()   # importing does not start MPI
import sluice.steering, sluice_steering.Steering   # the steering client, installed with it
assert sluice_steering.__file__.startswith(sys.argv[1]), sluice_steering.__file__
print("python module OK:", sluice.__file__)' "$scratch/root"
fi
