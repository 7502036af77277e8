package io.udsink.collector.export.cumulative;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.store.Bin;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.udsink.collector.aggregate.Sketches;
import java.util.Arrays;
import java.util.Iterator;

/**
 * A summary's quantiles over a sliding window, never frozen on one interval: the window of
 * {@code maxAgeMs} is kept in {@code parts} slices, each a sketch of the samples of its slice of
 * time; the oldest slice is cleared as time moves on (as statsd_exporter's {@code max_age} and
 * {@code age_buckets} do). Each slice has the shape of an interval's sketch ({@link Sketches}):
 * 1% relative accuracy over any range of up to 2048 bins a side, so a slice never holds less
 * than the intervals merged into it.
 */
final class SlidingQuantiles {
  private final long sliceMs;
  private final DDSketch[] slices;
  private final long[] epochs;

  SlidingQuantiles(long maxAgeMs, int parts) {
    this.slices = new DDSketch[Math.max(1, parts)];
    this.epochs = new long[slices.length];
    this.sliceMs = Math.max(1, maxAgeMs / slices.length);
    Arrays.fill(epochs, Long.MIN_VALUE);
  }

  /** Adds an interval's samples, seen at {@code nowMs}. */
  void add(DDSketch interval, long nowMs) {
    DDSketch s = slice(Math.floorDiv(nowMs, sliceMs));
    if (s != null) {
      Sketches.merge(s, interval);
    }
  }

  /** The slice of an epoch, cleared if it held an older one; null if it holds a newer one. */
  private DDSketch slice(long epoch) {
    int slot = (int) Math.floorMod(epoch, (long) slices.length);
    if (epochs[slot] > epoch) {
      return null; // that time has left the window
    }
    if (epochs[slot] != epoch || slices[slot] == null) {
      slices[slot] = Sketches.create();
      epochs[slot] = epoch;
    }
    return slices[slot];
  }

  /**
   * The samples of the window ending at {@code nowMs}, merged into a new sketch, or null when it
   * holds none.
   */
  DDSketch window(long nowMs) {
    long epoch = Math.floorDiv(nowMs, sliceMs);
    DDSketch merged = null;
    for (int i = 0; i < slices.length; i++) {
      if (slices[i] != null && live(epoch, epochs[i])) {
        if (merged == null) {
          merged = Sketches.create();
        }
        Sketches.merge(merged, slices[i]);
      }
    }
    return merged == null || merged.isEmpty() ? null : merged;
  }

  private boolean live(long nowEpoch, long epoch) {
    return epoch <= nowEpoch && nowEpoch - epoch < slices.length;
  }

  /** The slices of the window, for the instance that takes over. */
  void export(ObjectNode n) {
    n.put("slice_ms", sliceMs);
    ArrayNode list = n.putArray("slices");
    for (int i = 0; i < slices.length; i++) {
      if (slices[i] != null && !slices[i].isEmpty()) {
        ObjectNode s = list.addObject();
        s.put("epoch", epochs[i]);
        s.put("zero", Sketches.zeroCount(slices[i]));
        putBins(s.putArray("positive"), slices[i].getPositiveValueStore().getAscendingIterator());
        putBins(s.putArray("negative"), slices[i].getNegativeValueStore().getAscendingIterator());
      }
    }
  }

  private static void putBins(ArrayNode a, Iterator<Bin> bins) {
    while (bins.hasNext()) {
      Bin b = bins.next();
      if (b.getCount() > 0) {
        a.addArray().add(b.getIndex()).add(b.getCount());
      }
    }
  }

  /**
   * Adds the slices an earlier instance exported, when they were cut the same way as this
   * window's.
   *
   * @param n what {@link #export} wrote
   * @throws IllegalArgumentException when the state is not a window of this shape
   */
  void importFrom(JsonNode n) {
    if (n.path("slice_ms").asLong() != sliceMs) {
      throw new IllegalArgumentException(
          "summary window cut into slices of "
              + n.path("slice_ms").asLong()
              + " ms, this one's are "
              + sliceMs
              + " ms");
    }
    for (JsonNode s : n.path("slices")) {
      DDSketch d = Sketches.create();
      double zero = s.path("zero").asDouble();
      if (zero > 0) {
        d.accept(0.0, zero);
      }
      addBins(d, true, s.path("positive"));
      addBins(d, false, s.path("negative"));
      DDSketch into = slice(s.path("epoch").asLong());
      if (into != null) {
        Sketches.merge(into, d);
      }
    }
  }

  private static void addBins(DDSketch d, boolean positive, JsonNode bins) {
    for (JsonNode b : bins) {
      Sketches.addBin(d, positive, b.get(0).asInt(), b.get(1).asDouble());
    }
  }
}
