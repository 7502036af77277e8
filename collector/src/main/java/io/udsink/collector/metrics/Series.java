package io.udsink.collector.metrics;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;

/**
 * One series (name + type + sorted tags) within one flush interval. Written by the receive loop
 * until the interval is handed to the flusher, then only read.
 */
public final class Series extends KeyTable.Entry {
  /** Relative accuracy of the quantiles of timers, histograms and distributions. */
  public static final double RELATIVE_ACCURACY = 0.01;
  /** Most bins a sketch keeps (each side of zero): bounds memory per series. */
  public static final int MAX_BINS = 2048;

  final MetricType type;
  final String name;
  final List<String> tags;

  /** Counters: sum of value / rate. Gauges: the last value. */
  double value;
  /** Counters: samples received. */
  long samples;
  /** Gauges: the value that outlives the interval. */
  GaugeCell cell;
  /** Sets: the distinct members. */
  Set<String> members;
  /** Distributions: the sketch and exact count (rate-weighted), sum, min and max. */
  DDSketch sketch;
  double count;
  double sum;
  double min = Double.POSITIVE_INFINITY;
  double max = Double.NEGATIVE_INFINITY;

  Series(byte[] key, long hash, MetricType type, String name, List<String> tags) {
    super(key, hash);
    this.type = type;
    this.name = name;
    this.tags = tags;
    if (type == MetricType.SET) {
      members = new HashSet<>();
    } else if (type.isDistribution()) {
      sketch = DDSketches.collapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS);
    }
  }

  void addDistribution(double v, double weight) {
    sketch.accept(v, weight);
    count += weight;
    sum += v * weight;
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }

  /** The series' type. */
  public MetricType type() {
    return type;
  }

  /** The metric name. */
  public String name() {
    return name;
  }

  /** The tags, sorted by their UTF-8 bytes, distinct. */
  public List<String> tags() {
    return tags;
  }

  /**
   * The value at quantile {@code q}, within {@link #RELATIVE_ACCURACY}, clamped to the exact
   * minimum and maximum.
   */
  public double quantile(double q) {
    double v = sketch.getValueAtQuantile(q);
    return Math.max(min, Math.min(max, v));
  }

  /** Gauge memory: the last value of a gauge series, kept across intervals for deltas. */
  static final class GaugeCell extends KeyTable.Entry {
    double value;
    long lastInterval;

    GaugeCell(byte[] key, long hash) {
      super(key, hash);
    }
  }
}
