#!/usr/bin/env bash
# Regenerates docs/reproduction: the four digits sweeps (2 trainer processes), then the report and the
# figures committed under docs/figures/. Prints the wall time of each step.
set -euo pipefail
cd "$(dirname "$0")/../.."
STORE=${STORE:-./sgdlab-runs/reproduction.sqlite}
WORKERS=${WORKERS:-2}
for spec in fig1-eps fig1-lambda fig3-batch fig4-nstep; do
  start=$(date +%s)
  node bin/sgdlab.js sweep run "docs/reproduction/$spec.yaml" --store "$STORE" --workers "$WORKERS"
  echo "$spec: $(( $(date +%s) - start )) s wall"
done
start=$(date +%s)
node bin/sgdlab.js report docs/reproduction/fig1-eps.yaml docs/reproduction/fig1-lambda.yaml docs/reproduction/fig3-batch.yaml docs/reproduction/fig4-nstep.yaml \
  --store "$STORE" --out docs/figures --png-zoom 1.25
echo "report: $(( $(date +%s) - start )) s wall"
