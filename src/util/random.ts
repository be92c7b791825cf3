// Seeded, deterministic pseudo-random numbers for every random choice in sgdlab (init, data order, augmentation).
// xoshiro128** streams keyed by a 128-bit key; fork(label) derives independent, position-independent child streams.

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** Everything needed to continue a stream exactly where it stopped (JSON-serialisable). */
export interface RngState {
  /** 128-bit key (4 uint32) the stream was created from; forks derive from it, not from the position. */
  key: number[];
  /** xoshiro128** state words (4 uint32). */
  s: number[];
  /** Second Box–Muller variate not yet handed out, or null. */
  spareNormal: number | null;
}

/** Murmur3 finaliser: a bijective 32-bit avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Four lanes with distinct starting constants give a 128-bit key, so forks of forks do not collide
// at the 2^16 birthday bound that a single 32-bit hash would have.
const LANE_SEEDS = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];

function deriveKey(words: readonly number[]): Uint32Array {
  const lanes = new Uint32Array(4);
  for (let j = 0; j < 4; j++) {
    let a = LANE_SEEDS[j]!;
    for (const w of words) a = fmix32((a ^ w) + 0x9e3779b9 * (j + 1));
    lanes[j] = a;
  }
  // Cross-mix the lanes so that every output word depends on all of them.
  for (let round = 0; round < 2; round++) {
    for (let j = 0; j < 4; j++) lanes[j] = fmix32(lanes[j]! ^ (lanes[(j + 1) & 3]! + 0x6a09e667));
  }
  return lanes;
}

function integerWords(value: number, what: string): [number, number] {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be a safe integer, got ${value}`);
  const lo = value >>> 0; // two's complement low word, also for negatives
  const hi = Math.floor(value / TWO_POW_32) >>> 0;
  return [lo, hi];
}

function labelWords(label: string | number): number[] {
  if (typeof label === 'number') return [0x4e554d42, ...integerWords(label, 'fork label')];
  // FNV-1a over UTF-16 code units, in two independent 32-bit variants, plus the length.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x811c9dc5 | 1) >>> 0;
  }
  return [0x53545247, h1, h2, label.length];
}

function checkWords(words: unknown, what: string): number[] {
  if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
    throw new RangeError(`Rng state: ${what} must be 4 uint32 words`);
  }
  return words as number[];
}

export class Rng {
  private readonly key: Uint32Array;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  /** seed: a safe integer (53 bits are used). */
  constructor(seed: number = 0) {
    this.key = deriveKey(integerWords(seed, 'seed'));
    this.resetFromKey();
  }

  private static fromKey(key: Uint32Array): Rng {
    const rng = new Rng(0);
    rng.key.set(key);
    rng.resetFromKey();
    return rng;
  }

  private resetFromKey(): void {
    const k = deriveKey([...this.key, 0x73747265]);
    this.s0 = k[0]!;
    this.s1 = k[1]!;
    this.s2 = k[2]!;
    this.s3 = k[3]!;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // xoshiro's one forbidden state
    this.spareNormal = null;
  }

  /**
   * An independent child stream named by label. It depends only on this stream's key and the label,
   * never on how many numbers were drawn, so rng.fork(epoch) is reproducible after a resume.
   */
  fork(label: string | number): Rng {
    return Rng.fromKey(deriveKey([...this.key, ...labelWords(label)]));
  }

  /** Next uint32 (xoshiro128**). */
  next(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform float64 in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.next() >>> 5; // 27 bits
    const lo = this.next() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Standard normal float64 (Box–Muller; the second variate is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u1 = 1 - this.uniform(); // in (0, 1], so the log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Unbiased integer in [0, n), 1 <= n <= 2^32 (rejection of the incomplete top range). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`Rng.int: n must be an integer in 1..2^32, got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.next();
    while (x >= limit) x = this.next();
    return x % n;
  }

  /** Fisher–Yates shuffle of arr in place. */
  shuffle<T extends { length: number; [i: number]: number }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = tmp;
    }
    return arr;
  }

  /** A uniformly random permutation of 0..n-1, written into out when given (no allocation). */
  permutation(n: number, out?: Int32Array): Int32Array {
    const perm = out ?? new Int32Array(n);
    if (perm.length !== n) throw new RangeError(`Rng.permutation: output has length ${perm.length}, expected ${n}`);
    for (let i = 0; i < n; i++) perm[i] = i;
    return this.shuffle(perm);
  }

  /** Fill out with independent normals of the given mean and standard deviation. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fill out with independent uniforms in [low, high). */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low = 0, high = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  getState(): RngState {
    return { key: Array.from(this.key), s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spareNormal };
  }

  /** Continue exactly from a state returned by getState() (possibly of another Rng). */
  setState(state: RngState): void {
    const key = checkWords(state?.key, 'key');
    const s = checkWords(state?.s, 's');
    if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) throw new RangeError('Rng state: s must not be all zero');
    const spare = state.spareNormal;
    if (spare !== null && (typeof spare !== 'number' || !Number.isFinite(spare))) throw new RangeError('Rng state: spareNormal must be a finite number or null');
    this.key.set(key);
    [this.s0, this.s1, this.s2, this.s3] = s as [number, number, number, number];
    this.spareNormal = spare;
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }
}
