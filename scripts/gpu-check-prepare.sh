#!/usr/bin/env bash
# Packs everything scripts/gpu-check.sh needs into one directory, on the build machine (Maven, network):
# the modules' classes and test classes, every dependency jar (test scope), the JUnit Platform console
# launcher, the test fixtures and the demo model (tokenizer files), and a class path file. Copy the directory
# to a machine with an NVIDIA GPU and a JDK 17+ (no Maven, no network there) and run its scripts/gpu-check.sh.
#
#   scripts/gpu-check-prepare.sh [--no-build] OUT_DIR
#
# The CUDA native library is not packed: ai.djl.pytorch:pytorch-native-cu128 is not served to this machine.
# The GPU machine brings libtorch with CUDA itself (see docs/cuda.md, "The GPU check").
# Maven runs under the shared build lock ($LAYERSKIP_BUILD_LOCK, default /tmp/layerskip-build.lock), offline
# first; only the console launcher is fetched online when ~/.m2 lacks it.
set -euo pipefail

JUNIT_VERSION=1.14.1 # the platform of junit 5.14.1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCK=${LAYERSKIP_BUILD_LOCK:-/tmp/layerskip-build.lock}
BUILD=1
OUT=
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    -*) echo "error: unknown option '$a' (usage: scripts/gpu-check-prepare.sh [--no-build] OUT_DIR)" >&2; exit 2 ;;
    *) OUT=$a ;;
  esac
done
if [ -z "$OUT" ]; then
  echo "error: OUT_DIR is missing (usage: scripts/gpu-check-prepare.sh [--no-build] OUT_DIR)" >&2
  exit 2
fi

mvn_locked() {
  if command -v flock >/dev/null; then flock "$LOCK" mvn -B -q "$@"; else mvn -B -q "$@"; fi
}

cd "$ROOT"
if [ "$BUILD" = 1 ]; then
  echo "building (mvn -o install -DskipTests) ..."
  mvn_locked -o install -DskipTests
fi
for d in src/core/target/classes src/core/target/test-classes src/cli/target/classes src/cli/target/test-classes; do
  [ -d "$d" ] || { echo "error: $d is missing: build first (mvn -o install -DskipTests)" >&2; exit 1; }
done

JUNIT_JAR=$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$JUNIT_VERSION/junit-platform-console-standalone-$JUNIT_VERSION.jar
if [ ! -f "$JUNIT_JAR" ]; then
  ART=org.junit.platform:junit-platform-console-standalone:$JUNIT_VERSION
  mvn_locked -o dependency:get -Dartifact="$ART" 2>/dev/null || mvn_locked dependency:get -Dartifact="$ART"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# the CLI module's test class path holds every module and every dependency the suites and bench need
mvn_locked -o dependency:build-classpath -pl src/cli -Dmdep.includeScope=test -Dmdep.outputFile="$TMP/cli.cp" >/dev/null

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/classes" "$OUT/test-classes" "$OUT/scripts" "$OUT/models" "$OUT/src/core/test/resources"
entries=(test-classes/cli classes/cli)
cp -r src/cli/target/classes "$OUT/classes/cli"
cp -r src/cli/target/test-classes "$OUT/test-classes/cli"
IFS=":" read -r -a deps < "$TMP/cli.cp" || true # no newline at its end
for jar in "${deps[@]}"; do
  case "$jar" in
    */dev/layerskip/layerskip-*|*/src/*/target/*)
      # a module of this project: its class directory from this tree, never a jar another build left in ~/.m2
      name=$(basename "$(dirname "$(dirname "$jar")")")
      case "$jar" in */src/*/target/*) name=layerskip-$(echo "$jar" | sed 's|.*/src/\([^/]*\)/target/.*|\1|') ;; esac
      module=${name#layerskip-}
      [ "$module" = demo-model ] && module=demo
      kind=classes
      case "$jar" in *-tests.jar|*/test-classes) kind=test-classes ;; esac
      if [ ! -d "$OUT/$kind/$module" ]; then
        cp -r "src/$module/target/$kind" "$OUT/$kind/$module"
      fi
      entries+=("$kind/$module")
      ;;
    *)
      cp "$jar" "$OUT/lib/"
      entries+=("lib/$(basename "$jar")")
      ;;
  esac
done
(IFS=':'; echo "${entries[*]}") > "$OUT/classpath.txt"
cp "$JUNIT_JAR" "$OUT/lib/junit-platform-console-standalone.jar"
cp -r models/layerskip-demo "$OUT/models/"
cp -r src/core/test/resources/fixtures "$OUT/src/core/test/resources/"
cp scripts/gpu-check.sh "$OUT/scripts/"
cp docs/cuda.md "$OUT/"
{
  echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "packed $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  echo "junit-platform-console-standalone $JUNIT_VERSION"
} > "$OUT/BUNDLE.txt"
echo "packed $(du -sh "$OUT" | cut -f1) into $OUT ($(ls "$OUT/lib" | wc -l) jars); on the GPU machine: $OUT/scripts/gpu-check.sh --report DIR"
