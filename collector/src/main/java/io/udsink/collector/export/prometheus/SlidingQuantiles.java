package io.udsink.collector.export.prometheus;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;

/**
 * A summary's quantiles over a sliding window, never frozen on one interval: the window of
 * {@code maxAgeMs} is kept in {@code parts} slices, each a sketch of the samples of its slice of
 * time; the oldest slice is cleared as time moves on (as statsd_exporter's {@code max_age} and
 * {@code age_buckets} do). Each slice is a DDSketch with 1% relative accuracy and at most 512 bins
 * a side (4 KiB).
 */
final class SlidingQuantiles {
  private static final int SLICE_BINS = 512;
  private final long sliceMs;
  private final DDSketch[] slices;
  private final long[] epochs;

  SlidingQuantiles(long maxAgeMs, int parts) {
    this.slices = new DDSketch[Math.max(1, parts)];
    this.epochs = new long[slices.length];
    this.sliceMs = Math.max(1, maxAgeMs / slices.length);
    java.util.Arrays.fill(epochs, Long.MIN_VALUE);
  }

  /** Adds an interval's samples, seen at {@code nowMs}. */
  void add(DDSketch interval, long nowMs) {
    long epoch = Math.floorDiv(nowMs, sliceMs);
    int slot = (int) Math.floorMod(epoch, (long) slices.length);
    if (epochs[slot] != epoch || slices[slot] == null) {
      slices[slot] = DDSketches.collapsingLowestDense(0.01, SLICE_BINS);
      epochs[slot] = epoch;
    }
    slices[slot].mergeWith(interval);
  }

  /**
   * The quantile of the samples of the window ending at {@code nowMs}, or NaN when it holds none.
   */
  double quantile(double q, long nowMs) {
    long epoch = Math.floorDiv(nowMs, sliceMs);
    DDSketch merged = null;
    for (int i = 0; i < slices.length; i++) {
      if (slices[i] != null && epoch - epochs[i] < slices.length) {
        if (merged == null) {
          merged = slices[i].copy();
        } else {
          merged.mergeWith(slices[i]);
        }
      }
    }
    return merged == null || merged.isEmpty() ? Double.NaN : merged.getValueAtQuantile(q);
  }
}
