package io.udsink.collector.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.mapping.LogarithmicMapping;
import io.udsink.collector.mapping.Mapped;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.ParseError;
import java.util.List;

/**
 * One series (name + type + sorted tags) within one flush interval. Written by the receive loop
 * until the interval is handed over; after that only an output that owns a merged copy changes
 * it ({@link #mergeFrom}).
 *
 * <p>Every sum it holds stays finite: the aggregator refuses a sample that would overflow one
 * ({@link ParseError#VALUE_OUT_OF_RANGE}), and a merge clamps to the largest double.
 */
public final class Series extends KeyTable.Entry {
  /** Relative accuracy of the quantiles of timers, histograms and distributions. */
  public static final double RELATIVE_ACCURACY = 0.01;

  /** Most bins a sketch keeps (each side of zero): bounds memory per series. */
  public static final int MAX_BINS = 2048;

  /** Largest magnitude a sketch can index (about 1.7e308). */
  public static final double MAX_SKETCH_VALUE =
      new LogarithmicMapping(RELATIVE_ACCURACY).maxIndexableValue();

  final MetricType type;
  final String name;
  final List<String> tags;

  /** What the mapping made of this series' name and type. */
  Mapped mapped;

  /** True for a series the mapping drops: it only counts what it drops. */
  boolean dropped;

  /** Observations as Prometheus counts them: each sample round(1 / rate) times, scaled. */
  long obsCount;

  double obsSum;

  /** Classic bucket counts (the last is +Inf), or null. */
  long[] classic;

  /** Native buckets, or null. */
  NativeHistogram nativeBuckets;

  /** What values are multiplied by for Prometheus: the mapping's scale, and ms to s. */
  double scale = 1;

  /** Samples accepted (values on lines; for sets, members added). */
  long samples;

  /** Counters: sum of value / rate. Gauges: the last value. */
  double value;

  /** A sample's own time (DogStatsD 1.3), epoch milliseconds; 0 for a series of the interval. */
  long timestampMs;

  /** Counters: the sum of the positive increments only (what a Prometheus counter may add). */
  double increase;

  /** Counters: samples with a negative increment. */
  long negativeSamples;

  /** Gauges: the value that outlives the interval. */
  GaugeCell cell;

  /** Sets: the distinct members. */
  MemberSet members;

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
      members = new MemberSet();
    } else if (type.isDistribution()) {
      sketch = Sketches.create();
    }
  }

  /**
   * Sets what the mapping made of the series and, for a distribution whose samples Prometheus
   * shows, allocates its buckets.
   */
  void map(Mapped m, boolean observe) {
    this.mapped = m;
    this.dropped = m.drop();
    this.scale = m.scale() * (type == MetricType.TIMER ? 0.001 : 1);
    if (observe && type.isDistribution() && !dropped) {
      ObserverSpec spec = m.observer();
      if (spec.classic()) {
        classic = new long[spec.buckets().length + 1];
      }
      if (spec.nativeBuckets()) {
        nativeBuckets = new NativeHistogram(spec.nativeSchema(), spec.maxBuckets());
      }
    }
  }

  /** Counts one observation in the Prometheus buckets: {@code times} times {@code v}. */
  private void observe(double v, long times) {
    double x = v * scale;
    obsCount += times;
    obsSum += x * times;
    if (classic != null) {
      double[] b = mapped.observer().buckets();
      int i = java.util.Arrays.binarySearch(b, x);
      classic[i >= 0 ? i : -i - 1] += times;
    }
    if (nativeBuckets != null) {
      nativeBuckets.add(x, times);
    }
  }

  /**
   * Adds a counter increment.
   *
   * @return false, changing nothing, when the sum would overflow
   */
  boolean addCount(double increment) {
    double v = value + increment;
    if (!Double.isFinite(increment) || !Double.isFinite(v)) {
      return false;
    }
    value = v;
    if (increment >= 0) {
      increase += increment;
    } else {
      negativeSamples++;
    }
    samples++;
    return true;
  }

  /**
   * Adds a sample to a distribution.
   *
   * @return false, changing nothing, when its weight or weighted value would overflow a sum
   */
  boolean addDistribution(double v, double weight) {
    double c = count + weight;
    double s = sum + v * weight;
    if (!Double.isFinite(c) || !Double.isFinite(s)) {
      return false;
    }
    sketch.accept(v, weight);
    count = c;
    sum = s;
    observe(v, Math.max(1, Math.round(weight)));
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
    samples++;
    return true;
  }

  /** A sample's own time, epoch milliseconds; 0 for a series of the interval. */
  public long timestampMs() {
    return timestampMs;
  }

  /** Samples accepted in the interval (values; for sets, members added). */
  public long samples() {
    return samples;
  }

  /** Counters: the interval's exact sum of value / rate. Gauges: the last value. */
  public double value() {
    return value;
  }

  /** Counters: the sum of the positive increments only. */
  public double increase() {
    return increase;
  }

  /** Counters: how many increments were negative. */
  public long negativeSamples() {
    return negativeSamples;
  }

  /** Distributions: the rate-weighted count. */
  public double count() {
    return count;
  }

  /** Distributions: the rate-weighted sum. */
  public double sum() {
    return sum;
  }

  /** Distributions: the smallest value. */
  public double min() {
    return min;
  }

  /** Distributions: the largest value. */
  public double max() {
    return max;
  }

  /** What the mapping made of this series. */
  public Mapped mapped() {
    return mapped;
  }

  /** What values are multiplied by for Prometheus (the mapping's scale; ms to s for timers). */
  public double scale() {
    return scale;
  }

  /** Observations as Prometheus counts them (each sample round(1 / rate) times). */
  public long observedCount() {
    return obsCount;
  }

  /** The scaled sum of those observations. */
  public double observedSum() {
    return obsSum;
  }

  /** Classic bucket counts (not cumulative; the last is +Inf), or null. */
  public long[] classicBuckets() {
    return classic;
  }

  /** Native buckets, or null. */
  public NativeHistogram nativeBuckets() {
    return nativeBuckets;
  }

  /** The distribution's sketch (raw values), for quantiles over several intervals. */
  public DDSketch sketch() {
    return sketch;
  }

  /** Sets: true once the count is an estimate (beyond {@link MemberSet#EXACT_LIMIT} members). */
  public boolean setIsEstimate() {
    return members.isEstimate();
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

  /** Distinct members of a set series. */
  public long setSize() {
    return members.size();
  }

  /**
   * The value at quantile {@code q}, within {@link #RELATIVE_ACCURACY}, clamped to the exact
   * minimum and maximum.
   */
  public double quantile(double q) {
    double v = sketch.getValueAtQuantile(q);
    return Math.max(min, Math.min(max, v));
  }

  /** A copy that shares no mutable state with this series (the gauge cell is not copied). */
  Series copy() {
    Series c = new Series(key, hash, type, name, tags, false);
    c.mapped = mapped;
    c.dropped = dropped;
    c.scale = scale;
    c.obsCount = obsCount;
    c.obsSum = obsSum;
    c.classic = classic == null ? null : classic.clone();
    c.nativeBuckets = nativeBuckets == null ? null : nativeBuckets.copy();
    c.samples = samples;
    c.value = value;
    c.increase = increase;
    c.negativeSamples = negativeSamples;
    c.members = members == null ? null : members.copy();
    c.sketch = sketch == null ? null : sketch.copy();
    c.count = count;
    c.sum = sum;
    c.min = min;
    c.max = max;
    return c;
  }

  private Series(
      byte[] key, long hash, MetricType type, String name, List<String> tags, boolean unused) {
    super(key, hash);
    this.type = type;
    this.name = name;
    this.tags = tags;
  }

  /**
   * Adds a later interval's series of the same key: counters add, a gauge takes the later value,
   * sets unite, distributions merge. Sums that would overflow are clamped to the largest double.
   */
  void mergeFrom(Series later) {
    samples += later.samples;
    switch (type) {
      case COUNTER:
        value = clampedSum(value, later.value);
        increase = clampedSum(increase, later.increase);
        negativeSamples += later.negativeSamples;
        break;
      case GAUGE:
        value = later.value;
        break;
      case SET:
        members.addAll(later.members);
        break;
      default:
        Sketches.merge(sketch, later.sketch);
        obsCount += later.obsCount;
        obsSum = clampedSum(obsSum, later.obsSum);
        if (classic != null && later.classic != null && classic.length == later.classic.length) {
          for (int i = 0; i < classic.length; i++) {
            classic[i] += later.classic[i];
          }
        }
        if (nativeBuckets != null && later.nativeBuckets != null) {
          nativeBuckets.addAll(later.nativeBuckets);
        }
        count = clampedSum(count, later.count);
        sum = clampedSum(sum, later.sum);
        min = Math.min(min, later.min);
        max = Math.max(max, later.max);
        break;
    }
  }

  private static double clampedSum(double a, double b) {
    double s = a + b;
    if (Double.isFinite(s)) {
      return s;
    }
    return s > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE;
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
