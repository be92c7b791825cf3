// Every threshold of the ONNX Runtime CPU target, in one place, each with how it was chosen.
// The measurements behind them are in docs/performance.md ("Thresholds of the ort-cpu target").

// --- Lowering overrides (matmul.ts, sum-by-ones.ts, conv.ts) ---

/**
 * a·Wᵀ lowers as (W·aᵀ)ᵀ when a has at most this many rows: [16|32, 4096]·[4096, 4096]ᵀ ran 1.4–1.6×
 * faster, 64 rows and up showed no clear gain (MLAS packs its right operand on every call).
 */
export const FEW_ROWS = 32;
/** …and W has at least this many entries: smaller W measured no gain ([16, 1024]·[1024, 1024]ᵀ 0.17 → 0.15 ms). */
export const LARGE_MATRIX = 1 << 18;

/**
 * Sums over leading axes lower as ones[1, L]·[L, T] from this many summed elements: ReduceSum over a
 * leading axis ran at ~1.5 G elements/s, but below 2^18 (an MLP's bias gradients) the MLP steps were
 * 2–5% slower with the product.
 */
export const SUM_BY_ONES_MIN_ELEMENTS = 1 << 18;

/**
 * A stride-1 conv input gradient runs as a Conv with the flipped kernel (not ConvTranspose) from this
 * many output positions Ho·Wo: 0.55–0.68× the time at 16×16 and 32×32, level at 8×8.
 */
export const INPUT_GRAD_AS_CONV_MIN_POSITIONS = 256;

/**
 * The conv weight gradient takes one GEMM per example unless the N products [m, cols] outweigh the
 * operands by more than this ratio (the largest WRN-16-4 layer is at 6 and measured faster per
 * example; a 640-channel 8×8 layer would be at 15).
 */
export const WEIGHT_GRAD_PER_EXAMPLE_MAX_RATIO = 8;

// --- Pass: low-rank re-association (passes/lowrank.ts) ---

/** Re-associate only where it saves at least this fraction of the dense product's FLOPs (chosen, not tuned: a 4× saving leaves room for the extra nodes). */
export const LOWRANK_MAX_COST_FRACTION = 0.25;
/** Dense products below this many multiply-adds are left alone, where the extra nodes would cost more (chosen, not tuned). */
export const LOWRANK_MIN_DENSE_MACS = 1 << 18;
/** A squared norm goes through Gram matrices only while their arithmetic is at most this multiple of the dense entries (chosen, not tuned: the dense sum is one memory-bound pass, the Gram form GEMM work). */
export const LOWRANK_MAX_GRAM_RATIO = 2;

// --- Pass: deferred weight updates (passes/defer.ts) ---

/** Defer only while the factor rows R = window·rank are at most this fraction of min(rows, cols) of W (chosen, not tuned: keeps the factors low rank). */
export const DEFER_MAX_ROWS_FRACTION = 0.5;
/**
 * Defer only while the factor terms' m·R·(k + n) multiply-adds stay within this multiple of W's k·n
 * entries: MLP 784-1024x3-10 at cost 8 ran 4.72 vs 4.99 ms/step, at cost 16 7.16 vs 6.89 (slower).
 */
export const DEFER_MAX_TERM_COST = 8;
/** Steps between writes of the weights: windows 2 / 4 / 8 measured, 4 best or within noise of best on the MLP steps. */
export const DEFER_DEFAULT_WINDOW = 4;
/** Smaller weights stay eager: they live in cache (MLP 64-256-256-10, batch 8: 1.18 → 1.96 ms/step deferred). */
export const DEFER_MIN_ELEMENTS = 1 << 19;
