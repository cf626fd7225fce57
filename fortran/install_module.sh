#!/bin/sh
# Installs the compiled Fortran module (sluice.mod) into the include tree.
# usage: install_module.sh MODULE_DIR INCLUDE_SUBDIR  (run by meson install)
set -eu
destination="${MESON_INSTALL_DESTDIR_PREFIX}/$2"
mkdir -p "$destination"
cp "$1/sluice.mod" "$destination/"
echo "Installing sluice.mod to $destination"
