#!/usr/bin/env bash
# The GPU check (issue 22): on a machine with an NVIDIA GPU, without Maven and without network, runs the golden-logit,
# greedy-equality and KV cache suites on the GPU, then bench and bench-serve on a Llama-3.2-1B-shaped random
# checkpoint with forced agreement from layer 4 (bfloat16 and float16; autoregressive, early exit E=4,
# self-speculative E=4 d=2..8; batch 1 against rolling batches of up to 16 at 1/4/16 clients), and writes
# REPORT_DIR/report.md with the raw outputs beside it.
#
#   scripts/gpu-check.sh [--device gpu|cpu] [--report DIR] [--work DIR] [--quick] [--skip-tests] [--skip-bench]
#
# Run it from a directory packed by scripts/gpu-check-prepare.sh (it finds classpath.txt one level above itself).
# The engine needs PyTorch's CUDA build, given by one of (docs/cuda.md, "The GPU check"):
#   PYTORCH_LIBRARY_PATH=/dir/with/libtorch.so PYTORCH_VERSION=... PYTORCH_FLAVOR=cu128  (DJL's variables), or
#   LAYERSKIP_NATIVE_JAR=/path/pytorch-native-cu128-2.7.1-linux-x86_64.jar  (DJL's published CUDA native library)
# Without either the packed CPU native library is used, and --device gpu stops at once with DeviceCheck's one line.
# Knobs: JAVA (default java), JAVA_OPTS, LAYERSKIP_CHECK_DEVICE (as --device), BENCH_TOKENS, BENCH_REPEATS,
# BENCH_PROMPTS, SERVE_REQUESTS, SERVE_CLIENTS, SERVE_BATCH, PHASE_TIMEOUT_S (per phase, default 300).
set -uo pipefail

BUNDLE=$(cd "$(dirname "$0")/.." && pwd)
DEVICE=${LAYERSKIP_CHECK_DEVICE:-gpu}
REPORT=$PWD/gpu-check-report
WORK=${TMPDIR:-/tmp}/layerskip-gpu-check
QUICK=0
TESTS=1
BENCH=1
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=${2:-}; shift ;;
    --report) REPORT=${2:-}; shift ;;
    --work) WORK=${2:-}; shift ;;
    --quick) QUICK=1 ;;
    --skip-tests) TESTS=0 ;;
    --skip-bench) BENCH=0 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "error: unknown argument '$1' (see scripts/gpu-check.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$DEVICE" in cpu|gpu) ;; *) echo "error: --device must be cpu or gpu, got '$DEVICE'" >&2; exit 2 ;; esac
[ -f "$BUNDLE/classpath.txt" ] || { echo "error: $BUNDLE/classpath.txt is missing: pack with scripts/gpu-check-prepare.sh OUT_DIR and run OUT_DIR/scripts/gpu-check.sh" >&2; exit 2; }
mkdir -p "$REPORT" "$WORK" || exit 2
REPORT=$(cd "$REPORT" && pwd)
WORK=$(cd "$WORK" && pwd)
cd "$BUNDLE" || exit 2

# quick: a smoke run of every phase (the CPU); full: sized to stay within ~10 minutes of a GPU
if [ "$QUICK" = 1 ]; then
  TOKENS=${BENCH_TOKENS:-8}; REPEATS=${BENCH_REPEATS:-1}; PROMPTS=${BENCH_PROMPTS:-1}
  REQUESTS=${SERVE_REQUESTS:-1}; CLIENTS=${SERVE_CLIENTS:-1,4}; BATCH=${SERVE_BATCH:-4}
else
  TOKENS=${BENCH_TOKENS:-48}; REPEATS=${BENCH_REPEATS:-2}; PROMPTS=${BENCH_PROMPTS:-3}
  REQUESTS=${SERVE_REQUESTS:-1}; CLIENTS=${SERVE_CLIENTS:-1,4,16}; BATCH=${SERVE_BATCH:-16}
fi
TIMEOUT=${PHASE_TIMEOUT_S:-300}
JAVA=${JAVA:-java}
export DJL_OFFLINE=true

CP=$(cat classpath.txt)
if [ -n "${LAYERSKIP_NATIVE_JAR:-}" ]; then # the CUDA native jar replaces the packed CPU one
  CP=$LAYERSKIP_NATIVE_JAR:$(echo "$CP" | tr ':' '\n' | grep -v '/pytorch-native-cpu-' | paste -sd ':')
fi
NATIVE="the packed pytorch-native-cpu jar"
[ -n "${LAYERSKIP_NATIVE_JAR:-}" ] && NATIVE="LAYERSKIP_NATIVE_JAR=$LAYERSKIP_NATIVE_JAR"
[ -n "${PYTORCH_LIBRARY_PATH:-}" ] && NATIVE="PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=${PYTORCH_VERSION:-} PYTORCH_FLAVOR=${PYTORCH_FLAVOR:-}"
JUNIT=lib/junit-platform-console-standalone.jar
cli() { timeout "$TIMEOUT" "$JAVA" ${JAVA_OPTS:-} -cp "$CP" dev.layerskip.cli.Main "$@"; }

# 1. the device, before anything else: the CLI's one-line DeviceCheck answer when the engine cannot use it
"$JAVA" -version > "$REPORT/java-version.txt" 2>&1 || { echo "error: no JDK at '$JAVA' (set JAVA=/path/to/java, 17 or later)" >&2; exit 2; }
cli info --device "$DEVICE" --model src/core/test/resources/fixtures/tiny-llama3 > "$REPORT/engine.txt" 2> "$REPORT/engine-err.txt"
if [ $? -ne 0 ]; then
  line=$(grep -m1 '^error: ' "$REPORT/engine-err.txt")
  echo "${line:-error: the engine did not start (see $REPORT/engine-err.txt)}" >&2
  exit 1
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$REPORT/gpu.txt" 2>&1

STATUS=0
start=$(date +%s)
# 2. the suites, on the device (TestCheckpoints reads layerskip.test.device)
if [ "$TESTS" = 1 ]; then
  echo "tests on $DEVICE ..."
  timeout "$TIMEOUT" "$JAVA" ${JAVA_OPTS:-} -Dlayerskip.test.device="$DEVICE" -jar "$JUNIT" execute --disable-banner \
    --class-path "$(echo "$CP" | tr ':' '\n' | grep -v -E '^lib/(junit-|opentest4j|apiguardian)' | paste -sd ':')" --details=tree --reports-dir "$REPORT/junit" \
    --select-class dev.layerskip.model.GoldenLogitsTest --select-class dev.layerskip.generate.GenerationTest \
    --select-class dev.layerskip.generate.SelfSpeculativeTest --select-class dev.layerskip.generate.BatchedGenerationTest \
    --select-class dev.layerskip.generate.SpeculativeSamplingTest --select-class dev.layerskip.model.KvCacheTypeTest \
    --select-class dev.layerskip.generate.KvCacheTypeGenerationTest > "$REPORT/tests.txt" 2>&1 || STATUS=1
fi
tests_s=$(( $(date +%s) - start ))

# 3. bench: a 1B-shaped random checkpoint, layers 4.. inert (every exit from 4 agrees with the full model)
if [ "$BENCH" = 1 ]; then
  CKPT=$WORK/ckpt1b-agree4
  if [ ! -f "$CKPT/config.json" ]; then
    echo "writing the 1B-shaped checkpoint to $CKPT ..."
    timeout "$TIMEOUT" "$JAVA" -cp "$CP" dev.layerskip.bench.RandomCheckpointWriter 1b "$CKPT" 4 > "$REPORT/checkpoint.txt" 2>&1 || STATUS=1
  fi
  printf '%s\n' "import os\n\n\ndef main(" "def read_lines(path):" "class Stack:\n    def " "for i in range(" \
    | head -n "$PROMPTS" > "$WORK/prompts.txt"
  for dtype in bfloat16 float16; do
    echo "bench $dtype on $DEVICE ..."
    cli bench --model "$CKPT" --device "$DEVICE" --dtype "$dtype" --exit-layers 4 \
      --self-speculative 4:2,4:3,4:4,4:5,4:6,4:7,4:8 --repeats "$REPEATS" --max-new-tokens "$TOKENS" \
      --prompts-file "$WORK/prompts.txt" > "$REPORT/bench-$dtype.txt" 2> "$REPORT/bench-$dtype.err" || STATUS=1
    cli bench-serve --model "$CKPT" --device "$DEVICE" --dtype "$dtype" --max-batch-size "$BATCH" --clients "$CLIENTS" \
      --requests "$REQUESTS" --strategies autoregressive,early-exit:4,self-speculative:4:4 --max-new-tokens "$TOKENS" \
      --prompts-file "$WORK/prompts.txt" > "$REPORT/bench-serve-$dtype.txt" 2> "$REPORT/bench-serve-$dtype.err" || STATUS=1
  done
fi
total_s=$(( $(date +%s) - start ))

# 4. the report
{
  echo "# GPU check: $(date -u +%Y-%m-%dT%H:%M:%SZ), device $DEVICE"
  echo
  echo "- bundle: $(head -1 BUNDLE.txt 2>/dev/null)"
  echo "- GPU: $(cat "$REPORT/gpu.txt" 2>/dev/null || echo none reported by nvidia-smi)"
  echo "- Java: $(head -1 "$REPORT/java-version.txt")"
  echo "- native library: $NATIVE"
  echo "- settings: $TOKENS new tokens, $REPEATS repeats, $PROMPTS prompts; bench-serve clients $CLIENTS, batch $BATCH, $REQUESTS request(s) per client$([ "$QUICK" = 1 ] && echo ' (--quick)')"
  echo "- time: tests ${tests_s} s, everything ${total_s} s; exit status $STATUS"
  echo
  echo "## Engine (\`info --device $DEVICE\` on the tiny-llama3 fixture)"
  echo; echo '```'; cat "$REPORT/engine.txt"; echo '```'
  if [ "$TESTS" = 1 ]; then
    echo; echo "## Suites on $DEVICE (golden logits, greedy equality, sampling, KV cache types)"
    echo; echo '```'; grep -E 'tests (successful|failed|aborted|skipped|found)|containers failed|MethodSource|=>' "$REPORT/tests.txt" | tail -40; echo '```'
    echo; echo "Full tree: tests.txt; XML: junit/."
  fi
  if [ "$BENCH" = 1 ]; then
    for dtype in bfloat16 float16; do
      echo; echo "## bench, $dtype, forced agreement from layer 4"
      echo; echo '```'; cat "$REPORT/bench-$dtype.txt"; tail -3 "$REPORT/bench-$dtype.err" | grep -i 'error' ; echo '```'
      echo; echo "## bench-serve, $dtype (batch 1 against rolling batches)"
      echo; echo '```'; cat "$REPORT/bench-serve-$dtype.txt"; tail -3 "$REPORT/bench-serve-$dtype.err" | grep -i 'error'; echo '```'
    done
  fi
} > "$REPORT/report.md"
echo "report: $REPORT/report.md (exit status $STATUS)"
exit $STATUS
