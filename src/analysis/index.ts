// The analysis layer: verdicts on a sweep's claims that can fail. Collapse exponents, optimum locations and
// "similar at their best" with bootstrap intervals over seeds, each rule calibrated on shuffled scores.

export { SCORE_RULES, REPLICATES, NULL_REPLICATES, scoreRuns, scorePoints, resampleRuns, permuteRuns, slicePoints, quantile, type RunOutcome, type ExperimentPoint, type Experiment, type ScoreRule, type PointScore } from './experiment.ts';
export { GROUPINGS, COLLAPSE_AXES, MIN_COLLAPSE_QUALITY, collapseFit, collapseVerdict, fitExponent, collapseMismatch, type CollapseFit, type GroupingAxis, type CollapseAxis } from './collapse.ts';
export { locateOptimum, locateOptimumRatio, sharesOf, type OptimumLocation, type Share } from './optimum.ts';
export { ratioShift, ratioSides, dealPooled, type OptimumRatioSides, type RatioShiftResult } from './ratio-shift.ts';
export { similarAtBest, bestSpread, type SimilarResult, type Group } from './similar.ts';
export { falseRate, calibratedVerdict, MAX_FALSE_RATE, PERMUTATIONS } from './calibrate.ts';
export { trendAlong, differenceBetween, permuteEachRun, rankCorrelation, slopeAgainstLog2, MIN_RANK_CORRELATION, type Direction, type DirectionResult } from './direction.ts';
export { CLAIM_KINDS, parseClaims, describeClaim, evaluateClaim, claimMetric, type Claim, type ClaimResult, type RatioClaim, type Where, type EvaluateOptions } from './claims.ts';
export { experimentFromRuns, experimentFromResults, mergeExperiments, coordinatesOf, sweepVerdicts, CHANCE_ACCURACY } from './from-sweep.ts';
export { formatPower, formatInterval, formatRate, formatScoreDifference, formatMeasure, verdictLine, RULE_NAMES } from './format.ts';
