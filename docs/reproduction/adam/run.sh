#!/usr/bin/env bash
# The Adam experiment's training (issue 28, docs/reproduction-adam.md): sweeps/fashion-mnist/adam*.yaml, appending
# each trial to the committed results file as it ends; trials the file holds are not trained again.
#   nice -n 19 bash docs/reproduction/adam/run.sh        # then commit results.jsonl now and then
# Needs the data: apt-get install dataset-fashion-mnist (or sgdlab data fetch fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/../../.."
RESULTS=${RESULTS:-$PWD/docs/reproduction/adam/results.jsonl}
STORE=${STORE:-./sgdlab-runs/adam.sqlite}
WORKERS=${WORKERS:-2}
for spec in ${SPECS:-adam adam-cancel adam-positive}; do
  start=$(date +%s)
  node bin/sgdlab.js sweep run "sweeps/fashion-mnist/$spec.yaml" --store "$STORE" --workers "$WORKERS" --results "$RESULTS"
  echo "$spec: $(( $(date +%s) - start )) s wall"
done
