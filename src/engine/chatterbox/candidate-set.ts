// The tokens still in the running while the sampler draws one, found without sorting the vocabulary: top-k by a
// histogram plus quickselect, top-p by a weighted quickselect. Filters compare logits; weights come from `weigh`.

const NEG_INF = Number.NEGATIVE_INFINITY;
const HISTOGRAM_BUCKETS = 2048;

/**
 * Candidate ids with their weights, in buffers reused from call to call (the sampler runs once per token and must
 * not allocate per call). Every method is synchronous, so one set per thread is safe to share.
 */
export class CandidateSet {
  /** Candidate ids in id order; the first `count` are live. */
  ids = new Int32Array(0);
  /** `weights[j]` belongs to `ids[j]`; set by `weigh`, kept in step by `keepAtLeast`. */
  weights = new Float64Array(0);
  /** How many of `ids` are live. */
  count = 0;
  /** The largest logit the last `collect` saw. */
  max = NEG_INF;
  // Copies of candidate logits (and weights) that the selections may reorder.
  private selection = new Float32Array(0);
  private selectionWeights = new Float64Array(0);
  // One extra slot: the maximum itself lands at index HISTOGRAM_BUCKETS.
  private readonly histogram = new Int32Array(HISTOGRAM_BUCKETS + 1);

  /**
   * One pass over the vocabulary: the candidates become the ids (in id order) whose logit is finite and ≥ max +
   * offset (NEG_INF: every finite one); sets `max` and `count`, returns `count`. Throws RangeError on NaN or
   * without a finite logit.
   */
  collect(logits: Float32Array, offset: number): number {
    this.reserve(logits.length);
    const ids = this.ids;
    let max = NEG_INF;
    let bar = NEG_INF;
    let count = 0;
    for (let i = 0; i < logits.length; i++) {
      const value = logits[i]!;
      if (value >= bar) {
        // Tracking the running max saves a separate max pass; the few early ids it lets in are dropped below.
        if (value > max) {
          max = value;
          bar = value + offset;
        }
        if (value > NEG_INF) ids[count++] = i;
      } else if (value !== value) {
        throw new RangeError('sampler: logits contain NaN');
      }
    }
    if (!(max > NEG_INF && max < Infinity)) throw new RangeError('sampler: no finite logit');
    this.max = max;
    this.count = count;
    return offset === NEG_INF ? count : this.keepAtLeast(logits, bar);
  }

  /** Keeps the candidates (and their weights) whose logit is ≥ threshold, in order; returns the new `count`. */
  keepAtLeast(logits: Float32Array, threshold: number): number {
    const { ids, weights, count } = this;
    let kept = 0;
    for (let j = 0; j < count; j++) {
      const id = ids[j]!;
      if (logits[id]! >= threshold) {
        weights[kept] = weights[j]!;
        ids[kept++] = id;
      }
    }
    this.count = kept;
    return kept;
  }

  /** Sets each candidate's weight to exp((logit − max) × scale); returns their sum. */
  weigh(logits: Float32Array, scale: number): number {
    const { ids, weights, count, max } = this;
    let total = 0;
    for (let j = 0; j < count; j++) {
      const weight = Math.exp((logits[ids[j]!]! - max) * scale);
      weights[j] = weight;
      total += weight;
    }
    return total;
  }

  /** The sum of the candidates' weights, added in candidate order (the order `draw` walks them in). */
  totalWeight(): number {
    let total = 0;
    for (let j = 0; j < this.count; j++) total += this.weights[j]!;
    return total;
  }

  /** The first candidate at which the running sum of weights exceeds `target` (the last one if none does). */
  draw(target: number): number {
    const { ids, weights, count } = this;
    let cumulative = 0;
    for (let j = 0; j < count - 1; j++) {
      cumulative += weights[j]!;
      if (cumulative > target) return ids[j]!;
    }
    return ids[count - 1]!;
  }

  /**
   * The k-th largest candidate logit (1 ≤ k ≤ count). A histogram over [min, max] finds the bucket holding it
   * without data-dependent branches, then quickselect runs on that bucket alone: plain quickselect over thousands
   * of logits spent most of its time on mispredicted branches.
   */
  kthLargest(logits: Float32Array, k: number): number {
    const { ids, count, selection, histogram } = this;
    let min = Infinity;
    let max = NEG_INF;
    for (let j = 0; j < count; j++) {
      const value = logits[ids[j]!]!;
      selection[j] = value;
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    // floor((v − min) × scale) never decreases as v grows, so a higher bucket only holds larger logits.
    const scale = HISTOGRAM_BUCKETS / (max - min);
    if (!(scale < Infinity)) return this.quickselect(count, k);
    histogram.fill(0);
    for (let j = 0; j < count; j++) histogram[((selection[j]! - min) * scale) | 0]! += 1;
    let bucket = HISTOGRAM_BUCKETS;
    let above = 0;
    while (above + histogram[bucket]! < k) above += histogram[bucket--]!;
    let size = 0;
    for (let j = 0; j < count; j++) {
      const value = selection[j]!;
      if ((((value - min) * scale) | 0) === bucket) selection[size++] = value;
    }
    return this.quickselect(size, k - above);
  }

  /**
   * The smallest logit of the nucleus of the candidates (weighted, summing to `total`): walking down from the top,
   * the logit at which the cumulative weight first reaches topP × total. A weighted quickselect finds it in
   * O(count) without sorting (a sort cost ~10x more: V8's typed-array sort and Math.exp dominate at these sizes).
   */
  nucleusThreshold(logits: Float32Array, topP: number, total: number): number {
    const target = topP * total;
    if (!(target > 0)) return this.max;
    const { ids, weights, count, selection, selectionWeights } = this;
    for (let j = 0; j < count; j++) {
      selection[j] = logits[ids[j]!]!;
      selectionWeights[j] = weights[j]!;
    }
    let lo = 0;
    let hi = count;
    let above = 0; // weight of everything ranked before [lo, hi); always < target
    while (lo < hi) {
      // Three-way partition of [lo, hi): [lo, greater) > pivot, [greater, i) = pivot, [less, hi) < pivot.
      const pivot = selection[lo + ((hi - lo) >>> 1)]!;
      let greater = lo;
      let i = lo;
      let less = hi;
      let greaterWeight = 0;
      let equalWeight = 0;
      while (i < less) {
        const value = selection[i]!;
        if (value > pivot) {
          greaterWeight += selectionWeights[i]!;
          this.swapSelection(i++, greater++);
        } else if (value < pivot) {
          this.swapSelection(i, --less);
        } else {
          equalWeight += selectionWeights[i++]!;
        }
      }
      if (above + greaterWeight >= target) {
        hi = greater;
      } else if (above + greaterWeight + equalWeight >= target) {
        return pivot;
      } else {
        above += greaterWeight + equalWeight;
        lo = less;
      }
    }
    // Only rounding (topP just under 1, sums in another order) gets here: keep everything.
    return NEG_INF;
  }

  private reserve(size: number): void {
    if (this.ids.length >= size) return;
    this.ids = new Int32Array(size);
    this.weights = new Float64Array(size);
    this.selection = new Float32Array(size);
    this.selectionWeights = new Float64Array(size);
  }

  /** The k-th largest of selection[0, count), reordering it. */
  private quickselect(count: number, k: number): number {
    const selection = this.selection;
    const target = k - 1;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const pivot = selection[(lo + hi) >>> 1]!;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (selection[i]! > pivot) i++;
        while (selection[j]! < pivot) j--;
        if (i <= j) {
          const swap = selection[i]!;
          selection[i++] = selection[j]!;
          selection[j--] = swap;
        }
      }
      // Now [lo, j] ≥ pivot ≥ [i, hi], and anything strictly between j and i equals the pivot.
      if (target <= j) hi = j;
      else if (target >= i) lo = i;
      else return selection[target]!;
    }
    return selection[target]!;
  }

  private swapSelection(a: number, b: number): void {
    const { selection, selectionWeights } = this;
    const value = selection[a]!;
    selection[a] = selection[b]!;
    selection[b] = value;
    const weight = selectionWeights[a]!;
    selectionWeights[a] = selectionWeights[b]!;
    selectionWeights[b] = weight;
  }
}
