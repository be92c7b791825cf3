#!/usr/bin/env bash
# Regenerates docs/reproduction.md: the digits sweeps sweeps/digits/repro-*.yaml (2 trainer
# processes), then `sgdlab report` in full and zoomed (`--exclude-below 0.9`, into $REPORT-zoom), and
# copies the figures the doc shows into docs/figures/, the zoomed ones as <figure>-zoom.{svg,png} (both
# reports, with their HTML pages, stay in $REPORT and $REPORT-zoom). Prints the wall
# time of each step. Trials already in $STORE are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
STORE=${STORE:-./sgdlab-runs/reproduction.sqlite}
WORKERS=${WORKERS:-2}
REPORT=${REPORT:-./sgdlab-runs/reproduction-report}
SPECS=()
for spec in fig1-eps fig1-lambda fig3-batch fig4-nstep fig4-updates; do
  SPECS+=("sweeps/digits/repro-$spec.yaml")
  start=$(date +%s)
  bin/sgdlab sweep run "sweeps/digits/repro-$spec.yaml" --store "$STORE" --workers "$WORKERS"
  echo "$spec: $(( $(date +%s) - start )) s wall"
done
# The half-octave sweep at the top of Fig. 1b: a table in the doc (sgdlab sweep show), not in the figures.
start=$(date +%s)
bin/sgdlab sweep run sweeps/digits/repro-fig1-top.yaml --store "$STORE" --workers "$WORKERS"
echo "fig1-top: $(( $(date +%s) - start )) s wall"
start=$(date +%s)
mkdir -p "$REPORT"
bin/sgdlab report "${SPECS[@]}" --store "$STORE" --out "$REPORT" --png-zoom 1.25
# Zoomed: grid points at chance level (below 90%: diverged or untrainable) left out, so the 97–99%
# range is readable; each figure's caption names the points left out.
npx sgdlab report "${SPECS[@]}" --store "$STORE" --out "$REPORT-zoom" --png-zoom 1.25 --exclude-below 0.9
echo "report: $(( $(date +%s) - start )) s wall"
# Full range where divergence is the point (Fig. 1b), or nothing diverged (Fig. 1a, 3), or the
# collapse is readable (Fig. 5); zoomed (points at chance level left out) for the rest.
for fig in fig1a-best-test-acc-over-training fig1b-test-acc-vs-eps-and-lambda fig1b-test-acc-vs-eps-and-lambda-zoom \
           fig1c-final-creg-vs-eps-and-lambda-zoom fig2-train-and-test-acc-vs-eps-zoom fig3-test-acc-vs-ratio-to-batch \
           fig4-n-step-sgd-zoom fig5-final-train-acc-and-loss; do
  case $fig in
    *-zoom) for ext in svg png; do cp "$REPORT-zoom/${fig%-zoom}.$ext" "docs/figures/$fig.$ext"; done ;;
    *) cp "$REPORT/$fig.svg" "$REPORT/$fig.png" docs/figures/ ;;
  esac
done

# Fig. 2b (ε × λ grid), 3b (λ/B) and 4c (epoch budgets, the paper's schedule): their trials are also kept in
# docs/reproduction/digits/results.jsonl, so they are not trained again where that file holds them; each is
# reported on its own (4c's schedule must not pool with the constant-rate n-step sweeps).
for spec in fig2b fig3b fig4c; do
  start=$(date +%s)
  bin/sgdlab sweep run "sweeps/digits/repro-$spec.yaml" --store "$STORE" --workers "$WORKERS" --results docs/reproduction/digits/results.jsonl
  bin/sgdlab report "sweeps/digits/repro-$spec.yaml" --store "$STORE" --out "$REPORT-$spec" --png-zoom 1.25 --exclude-below 0.9
  echo "$spec: $(( $(date +%s) - start )) s wall"
done
for ext in svg png; do
  cp "$REPORT-fig2b/fig2-train-and-test-acc-vs-eps.$ext" "docs/figures/fig2b-train-and-test-acc-vs-eps-and-lambda.$ext"
  cp "$REPORT-fig3b/fig3-test-acc-vs-ratio-to-batch.$ext" "docs/figures/fig3b-test-acc-vs-lambda-ratio-to-batch.$ext"
  cp "$REPORT-fig4c/fig4-n-step-sgd.$ext" "docs/figures/fig4c-n-step-sgd-epoch-budgets.$ext"
done
