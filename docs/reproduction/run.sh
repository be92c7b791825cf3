#!/usr/bin/env bash
# Regenerates docs/reproduction.md: the five digits sweeps sweeps/digits/repro-*.yaml (2 trainer
# processes), then the report and the figures committed under docs/figures/. Prints the wall time of
# each step. Trials already in $STORE are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
STORE=${STORE:-./sgdlab-runs/reproduction.sqlite}
WORKERS=${WORKERS:-2}
SPECS=()
for spec in fig1-eps fig1-lambda fig3-batch fig4-nstep fig4-updates; do
  SPECS+=("sweeps/digits/repro-$spec.yaml")
  start=$(date +%s)
  node bin/sgdlab.js sweep run "sweeps/digits/repro-$spec.yaml" --store "$STORE" --workers "$WORKERS"
  echo "$spec: $(( $(date +%s) - start )) s wall"
done
start=$(date +%s)
node bin/sgdlab.js report "${SPECS[@]}" --store "$STORE" --out docs/figures --png-zoom 1.25
echo "report: $(( $(date +%s) - start )) s wall"
