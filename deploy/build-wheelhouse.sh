#!/usr/bin/env bash
# Build the offline wheelhouse that `deploy/install.sh --wheelhouse DIR` installs a kiosk from.
#
#   deploy/build-wheelhouse.sh DIR        (or ./dev wheelhouse DIR)
#
# DIR gets: a wheel of every pinned dependency in deploy/requirements.lock, each download checked against
# the lock's hashes (pip --require-hashes; pycups, pyscard, PyGObject and pycairo have no wheel on PyPI for
# Python 3.11, so their checked sdists are built here: needs gcc, python3-dev, libcups2-dev, swig,
# libpcsclite-dev, libgirepository1.0-dev, libcairo2-dev and pkg-config), this release's own wheel (adm_kiosk-VERSION-py3-none-any.whl,
# built from a clean copy of the tree), the lock itself, and SHA256SUMS over all of it, which install.sh
# checks before it installs anything. Run it on a machine like the kiosks (Debian 12, Python 3.11, x86_64)
# with access to PyPI; copy DIR to a USB stick. DIR must not exist or be empty.
#
# Exit status: 0 done, 1 failed, 2 usage.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
LOCK=$SRC/deploy/requirements.lock

die() { echo "wheelhouse: error: $1" >&2; exit "${2:-1}"; }
[ $# -eq 1 ] && [ "${1#-}" = "$1" ] || { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
OUT=$1
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
    die "$OUT is not empty" 2
fi
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    echo "wheelhouse: warning: $("$PYTHON" --version) is not the kiosks' Python 3.11; the lock is for 3.11" >&2

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m venv "$WORK/venv"
PIP=("$WORK/venv/bin/python" -m pip --disable-pip-version-check --quiet)

echo "wheelhouse: the pinned dependencies (hashes checked)"
"${PIP[@]}" wheel --require-hashes --no-deps --wheel-dir "$OUT" -r "$LOCK"

# Build from a copy: setuptools' build/ directory in the tree could carry files of an older tree into the wheel.
echo "wheelhouse: adm-kiosk"
mkdir "$WORK/src"
tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude=__pycache__ --exclude=./demo-out --exclude=./demo-data --exclude=./state -cf - . | tar -C "$WORK/src" -xf -
"${PIP[@]}" wheel --no-deps --wheel-dir "$OUT" "$WORK/src"

cp "$LOCK" "$OUT/requirements.lock"
(cd "$OUT" && sha256sum -- *.whl requirements.lock > SHA256SUMS)
count=$(find "$OUT" -name '*.whl' | wc -l)
echo "wheelhouse: $count wheels, $(du -sh "$OUT" | cut -f1) in $OUT"
