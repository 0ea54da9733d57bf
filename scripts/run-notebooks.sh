#!/usr/bin/env bash
# Runs every notebook in notebooks/ in a real Jupyter with the IJava 1.3.0 kernel and writes the executed
# notebooks (with their outputs) back. Fails on any error, any stderr output and any stray cell result
# (a cell's value may only be an image).
#
#   scripts/run-notebooks.sh                 # kernel jar from ../shared/tools/ijava/ijava-1.3.0.jar
#   IJAVA_JAR=/path/ijava-1.3.0.jar scripts/run-notebooks.sh
#   MVN_FLAGS=-o scripts/run-notebooks.sh    # extra Maven flags (e.g. offline)
#
# Needs Debian's nbconvert: apt-get install -y jupyter-nbconvert python3-nbconvert python3-nbclient \
#   python3-jupyter-client python3-ipykernel jupyter-core
#
# Each notebook runs twice: first with this library's entry removed from IJava's Ivy cache (~/.ivy2/cache/
# dev.layerskip: IJava keeps a resolved 0.1.0 there and would not re-read a re-installed one), then again with
# the cache filled by the first run (the second kernel start is where stale or broken cache entries show).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
IJAVA_JAR="${IJAVA_JAR:-$ROOT/../shared/tools/ijava/ijava-1.3.0.jar}"
JUPYTER="${JUPYTER:-/usr/bin/jupyter}"
PYTHON="${PYTHON:-/usr/bin/python3}"
[[ -f "$IJAVA_JAR" ]] || { echo "run-notebooks: no IJava kernel jar at $IJAVA_JAR" >&2; exit 2; }
[[ -x "$JUPYTER" ]] || { echo "run-notebooks: no $JUPYTER (apt-get install -y jupyter-nbconvert ...)" >&2; exit 2; }

WORK="$(mktemp -d -t layerskip-notebooks.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/jupyter/kernels/java" "$WORK/out"
cp "$IJAVA_JAR" "$WORK/jupyter/kernels/java/ijava.jar"
cat > "$WORK/jupyter/kernels/java/kernel.json" <<JSON
{"argv": ["java", "-cp", "$WORK/jupyter/kernels/java/ijava.jar", "io.github.spencerpark.ijava.IJava", "{connection_file}"],
 "display_name": "Java", "language": "java", "interrupt_mode": "message", "env": {}}
JSON
export JUPYTER_PATH="$WORK/jupyter"
export JUPYTER_RUNTIME_DIR="$WORK/runtime"
export JUPYTER_DATA_DIR="$WORK/data"
export JUPYTER_CONFIG_DIR="$WORK/config"
export IPYTHONDIR="$WORK/ipython"

echo "run-notebooks: mvn install"
mvn -B -q -ntp ${MVN_FLAGS:-} install -DskipTests

check() { # fails on error outputs, stderr and cell results that are not images
  "$PYTHON" - "$1" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
problems = []
for i, c in enumerate(nb["cells"]):
    for o in c.get("outputs", []):
        kind = o.get("output_type")
        if kind == "error":
            problems.append(f"cell {i}: error {o.get('ename')}: {o.get('evalue')}")
        elif kind == "stream" and o.get("name") == "stderr":
            problems.append(f"cell {i}: stderr: {''.join(o.get('text', ''))[:300]}")
        elif kind in ("execute_result", "display_data") and "image/png" not in o.get("data", {}):
            problems.append(f"cell {i}: stray result {str(o.get('data'))[:200]}")
if problems:
    print(sys.argv[1] + ":\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
PY
}

run_all() { # $1 = label, $2 = output directory
  for nb in notebooks/*.ipynb; do
    local start=$SECONDS
    "$JUPYTER" nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1200 \
        --ExecutePreprocessor.kernel_name=java --output-dir "$2" "$nb" 2>"$WORK/nbconvert.log" \
      || { cat "$WORK/nbconvert.log" >&2; echo "run-notebooks: $nb failed ($1)" >&2; exit 1; }
    check "$2/$(basename "$nb")"
    echo "run-notebooks: $nb ok ($1, $((SECONDS - start)) s)"
  done
}

rm -rf "$HOME/.ivy2/cache/dev.layerskip"
run_all "empty Ivy cache" "$WORK/out"
run_all "filled Ivy cache" "$WORK/out"
cp "$WORK"/out/*.ipynb notebooks/
echo "run-notebooks: all notebooks ran; executed copies written to notebooks/"
