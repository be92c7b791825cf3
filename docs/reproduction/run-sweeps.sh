#!/usr/bin/env bash
# The loop every Fashion-MNIST page's run.sh shares: each named spec of sweeps/fashion-mnist/ trained in turn,
# each trial appended to the page's committed results file as it ends (trials the file holds are not trained
# again), with each spec's wall time. Usage: run-sweeps.sh PAGE SPEC...; RESULTS, STORE, WORKERS as in the callers.
set -euo pipefail
page=$1
shift
cd "$(dirname "$0")/../.."
RESULTS=${RESULTS:-$PWD/docs/reproduction/$page/results.jsonl}
STORE=${STORE:-./sgdlab-runs/$page.sqlite}
WORKERS=${WORKERS:-2}
for spec in "$@"; do
  start=$(date +%s)
  bin/sgdlab sweep run "sweeps/fashion-mnist/$spec.yaml" --store "$STORE" --workers "$WORKERS" --results "$RESULTS"
  echo "$spec: $(( $(date +%s) - start )) s wall"
done
