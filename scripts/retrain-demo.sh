#!/usr/bin/env bash
# Retrains the two demo models with this library and copies them into models/.
# Needs the corpus: apt-get install libpython3.11-stdlib (Python 3.11 standard library sources).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/layerskip.jar ] || mvn -B -q package -DskipTests
for name in layerskip baseline; do
  java -jar target/layerskip.jar train --config "models/recipes/demo-$name.json" --quiet
  rm -rf "models/$name-demo.new"
  cp -r "target/train/$name-demo/model" "models/$name-demo.new"
  [ "$name" = layerskip ] && [ -f models/layerskip-demo/layerskip.json ] && cp models/layerskip-demo/layerskip.json "models/$name-demo.new/"
  rm -rf "models/$name-demo" && mv "models/$name-demo.new" "models/$name-demo"
done
echo "Retrained models/layerskip-demo and models/baseline-demo."
echo "Refresh the self-speculative defaults with: java -jar target/layerskip.jar sweep --save-defaults"
