// Medians and paired ratios: what every benchmark here reports. A ratio of two
// variants is the median of their per-round ratios (both measured in the same
// round, moments apart), so drift on a shared machine mostly cancels.

/** The q-quantile of `values`, interpolated between neighbours. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/** Median, quartiles and minimum of one variant's samples. */
export function summary(samples) {
  return { median: median(samples), p25: quantile(samples, 0.25), p75: quantile(samples, 0.75), min: Math.min(...samples) };
}

/** a[i] / b[i] for the samples of one round each: median and quartiles, beside the ratio of medians and of minimums. */
export function pairedRatio(a, b) {
  const paired = a.map((value, i) => value / b[i]);
  return {
    paired: median(paired),
    p25: quantile(paired, 0.25),
    p75: quantile(paired, 0.75),
    ofMedians: median(a) / median(b),
    ofMins: Math.min(...a) / Math.min(...b),
  };
}

/** The median of a[i] - b[i]: what one variant adds to another, round by round. */
export function pairedDifference(a, b) {
  return median(a.map((value, i) => value - b[i]));
}
