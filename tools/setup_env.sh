#!/usr/bin/env bash
# Install the pinned development stack into .venv and mmrazor in develop
# mode.  Idempotent: everything heavy is built once per machine under a
# per-user cache outside the checkout and reused by every clone.
#
#   bash tools/setup_env.sh            # set up (or check) .venv
#   bash tools/setup_env.sh --benchmarks   # + the peers benchmarks/ use
#   bash tools/setup_env.sh --mmpose   # + mmpose (requirements/mmpose.txt)
#   MMRAZOR_CACHE_DIR=/path bash tools/setup_env.sh
#
# Layout:
#   $CACHE/stacks/<key>/   a virtualenv holding the pinned stack, <key>
#                          hashes requirements/dev-stack.txt + Python
#   $CACHE/wheels/         mmcv built from source, one wheel per
#                          (mmcv, torch, Python) triple
#   <repo>/.venv           a small per-checkout venv that layers the
#                          shared stack (a .pth file) plus mmrazor itself
#                          installed in develop mode
#
# --benchmarks installs requirements/benchmarks.txt (the peer libraries
# the scripts in benchmarks/ compare against, e.g. Torch-Pruning) into
# .venv only: the shared stack and its key do not change. --mmpose does the
# same for requirements/mmpose.txt (the pose configs).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bash tools/setup_env.sh [--benchmarks] [--mmpose] [--help]

Set up .venv: the pinned stack (requirements/dev-stack.txt, cached per
machine) and mmrazor in develop mode. Idempotent.

  --benchmarks  also install requirements/benchmarks.txt (the peer
                libraries benchmarks/ compare against) into .venv
  --mmpose      also install mmpose 1.x (requirements/mmpose.txt; the
                pose configs) into .venv
  -h, --help    print this help and exit

Environment: MMRAZOR_CACHE_DIR (cache folder), PYTHON (base
interpreter), MAX_JOBS (parallelism of the one-time mmcv build).
USAGE
}

WITH_BENCHMARKS=0
WITH_MMPOSE=0
for arg in "$@"; do
  case "$arg" in
    --benchmarks) WITH_BENCHMARKS=1 ;;
    --mmpose) WITH_MMPOSE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "[setup_env] ERROR: unknown option '$arg'" \
         "(expected --benchmarks, --mmpose or --help)" >&2
       usage >&2; exit 2 ;;
  esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
CACHE="${MMRAZOR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mmrazor}"
LOCK="$REPO/requirements/dev-stack.txt"
T0=$(date +%s)

step_start() { STEP_T=$(date +%s); echo "[setup_env] $*"; }
step_end() { echo "[setup_env]   done in $(( $(date +%s) - STEP_T ))s"; }
die() { echo "[setup_env] ERROR: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || die "no '$PYTHON' on PATH (set PYTHON=)"
PYVER=$("$PYTHON" -c 'import sys;print("%d.%d"%sys.version_info[:2])')
ARCH=$(uname -m)
pin() { # pin NAME -> version from the lock file
  sed -n "s/^$1==\([^ ]*\).*/\1/p" "$LOCK" | head -n1
}
TORCH_V=$(pin torch); MMCV_V=$(pin mmcv)
[ -n "$TORCH_V" ] && [ -n "$MMCV_V" ] || die "$LOCK must pin torch and mmcv"
KEY=$( (cat "$LOCK"; echo "py$PYVER-$ARCH") | sha256sum | cut -c1-16)
STACK="$CACHE/stacks/py$PYVER-$KEY"
WHEELS="$CACHE/wheels/mmcv-$MMCV_V-torch$TORCH_V-py$PYVER-$ARCH"
mkdir -p "$CACHE/stacks" "$WHEELS"

# Stage lines of the lock file: everything before the mmcv line is stage
# 1, mmcv is stage 2, the rest stage 3.
reqs_stage() {
  awk -v want="$1" '
    /^[[:space:]]*#/ || NF == 0 { next }
    /^mmcv==/ { stage = 2; if (want == 2) print; stage = 3; next }
    { s = (stage == 0 ? 1 : stage); if (s == want) print }' "$LOCK"
}

SPY="$STACK/bin/python"
pip_in() {
  "$SPY" -m pip install --disable-pip-version-check -q "$@" \
    2> >(grep -v "is ignored: it is neither" >&2)
}

# A single setup at a time per stack (two clones on one machine).
exec 9>"$CACHE/stacks/.lock-$KEY"
if command -v flock >/dev/null; then flock 9; fi

if [ -f "$STACK/.mmrazor-stack-complete" ]; then
  echo "[setup_env] reusing pinned stack $STACK"
else
  step_start "creating stack venv $STACK (Python $PYVER)"
  [ -x "$SPY" ] || "$PYTHON" -m venv "$STACK"
  step_end

  step_start "stage 1/3: build tools + torch $TORCH_V"
  pip_in $(reqs_stage 1)
  step_end

  step_start "stage 2/3: mmcv $MMCV_V with compiled ops"
  WHL=$(ls "$WHEELS"/mmcv-"$MMCV_V"-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$WHL" ]; then
    echo "[setup_env]   no cached wheel in $WHEELS: building from source"
    echo "[setup_env]   (about 17 min on 2 cores, once per machine)"
    TMPW=$(mktemp -d "$WHEELS/.build.XXXXXX")
    "$SPY" -m pip download --disable-pip-version-check -q --no-deps \
      --no-build-isolation --no-binary :all: -d "$TMPW" "mmcv==$MMCV_V"
    tar xzf "$TMPW"/mmcv-"$MMCV_V".tar.gz -C "$TMPW"
    # mmcv 2.1.0 hard-codes -std=c++14/17, but the headers of torch >= 2.14
    # need C++20: use the standard torch's own extension builder uses.
    CXXSTD=$("$SPY" - <<'PY'
import re, torch.utils.cpp_extension as c
found = re.findall(r"-std=(c\+\+\d+)", open(c.__file__).read())
print(max(found, key=lambda s: int(s[3:])) if found else "c++17")
PY
)
    echo "[setup_env]   compiling mmcv ops with -std=$CXXSTD"
    sed -i "s/'-std=c++1[47]'/'-std=$CXXSTD'/g" "$TMPW/mmcv-$MMCV_V/setup.py"
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" FORCE_CUDA=0 \
      "$SPY" -m pip wheel --disable-pip-version-check -q --no-deps \
      --no-build-isolation -w "$TMPW" "$TMPW/mmcv-$MMCV_V"
    mv "$TMPW"/mmcv-*.whl "$WHEELS"/ && rm -rf "$TMPW"
    WHL=$(ls "$WHEELS"/mmcv-"$MMCV_V"-*.whl | head -n1)
  else
    echo "[setup_env]   cached wheel $WHL"
  fi
  pip_in --no-deps "$WHL"
  # mmcv's own runtime dependencies
  pip_in addict packaging Pillow pyyaml yapf opencv-python
  step_end

  step_start "stage 3/3: OpenMMLab libraries, onnx, scikit-learn, pytest"
  pip_in $(reqs_stage 1) $(reqs_stage 3) "mmcv==$MMCV_V"
  "$SPY" -c 'import mmcv.ops, mmdet, mmseg, mmpretrain' \
    || die "the stack in $STACK does not import; remove it and rerun"
  step_end
  "$SPY" -m pip freeze --disable-pip-version-check > "$STACK/freeze.txt"
  touch "$STACK/.mmrazor-stack-complete"
fi

step_start "per-checkout .venv layered on the stack"
VENV="$REPO/.venv"
if [ -L "$VENV" ] || { [ -e "$VENV" ] && [ ! -f "$VENV/pyvenv.cfg" ]; }; then
  rm -rf "$VENV"
fi
[ -x "$VENV/bin/python" ] || "$SPY" -m venv --without-pip "$VENV"
SITE=$("$VENV/bin/python" -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])')
SSITE=$("$SPY" -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])')
echo "import site; site.addsitedir('$SSITE')" > "$SITE/_mmrazor_stack.pth"
# console scripts of the stack (pytest, torchrun, ...) next to python
for exe in "$STACK"/bin/*; do
  name=$(basename "$exe")
  case "$name" in python*|activate*|pip*|Activate*) continue ;; esac
  [ -e "$VENV/bin/$name" ] || ln -s "$exe" "$VENV/bin/$name"
done
step_end

step_start "mmrazor in develop mode"
if "$VENV/bin/python" - "$REPO" <<'PY'
import os, sys
try:
    import mmrazor
except Exception:
    sys.exit(1)
ok = os.path.realpath(os.path.dirname(mmrazor.__file__)) == \
    os.path.realpath(os.path.join(sys.argv[1], 'mmrazor'))
ok = ok and os.path.isdir(os.path.join(sys.argv[1], 'mmrazor', '.mim'))
sys.exit(0 if ok else 1)
PY
then
  echo "[setup_env]   already installed from $REPO"
else
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
    --no-deps --no-build-isolation -e "$REPO"
fi
step_end
# pip of the stack installing into .venv (optional parts, never the stack)
vpip() {
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
    "$@" 2> >(grep -v "is ignored: it is neither" >&2)
}

if [ "$WITH_MMPOSE" = 1 ]; then
  # optional: into .venv only, never into the shared stack
  step_start "mmpose into .venv (requirements/mmpose.txt)"
  POSE_REQ="$REPO/requirements/mmpose.txt"
  POSE_CHECK='import mmpose.models, mmpose.datasets, xtcocotools.coco'
  if "$VENV/bin/python" -c "$POSE_CHECK" 2>/dev/null; then
    echo "[setup_env]   already installed"
  else
    vpip $(grep -i '^cython==' "$POSE_REQ")
    vpip --no-deps --no-build-isolation --no-binary xtcocotools \
      -r "$POSE_REQ"
    "$VENV/bin/python" -c "$POSE_CHECK" \
      || die "mmpose does not import in $VENV"
  fi
  step_end
fi

if [ "$WITH_BENCHMARKS" = 1 ]; then
  step_start "benchmark peers (requirements/benchmarks.txt) into .venv"
  BREQ="$REPO/requirements/benchmarks.txt"
  [ -f "$BREQ" ] || die "$BREQ is missing"
  # pip comes from the stack; the target is .venv's own site-packages, so
  # the shared stack stays as its lock file says.
  vpip --no-deps -r "$BREQ"
  step_end
fi
echo "[setup_env] ready in $(( $(date +%s) - T0 ))s: $VENV/bin/python"
