package io.udsink.collector.mapping;

import java.util.List;

/**
 * How a timer, histogram or distribution series is shown to Prometheus.
 *
 * <ul>
 *   <li>{@code histogram}: classic buckets ({@code le} boundaries), and native buckets too when a
 *       bucket factor is set (a mapping file's defaults set one, as statsd_exporter's do);</li>
 *   <li>{@code native}: a native histogram (exponential buckets: each bucket's upper bound is
 *       {@code base} times the last one, {@code base = 2^(2^-schema)}, the schema chosen as the
 *       coarsest whose base is at most the bucket factor; at most {@code maxBuckets} buckets, the
 *       resolution halving when more would be needed), with the classic buckets alongside for
 *       scrapers that ask for text;</li>
 *   <li>{@code summary}: quantiles over a sliding window of {@code maxAgeMs}, kept in
 *       {@code ageBuckets} rotating parts.</li>
 * </ul>
 *
 * All three keep a cumulative {@code _count} and {@code _sum}.
 *
 * @param kind the observer type
 * @param buckets classic bucket upper bounds, ascending, without {@code +Inf} (none: empty)
 * @param nativeSchema the native histogram's schema (meaningful for {@code native})
 * @param maxBuckets most native buckets
 * @param quantiles summary quantiles
 * @param maxAgeMs summary window
 * @param ageBuckets summary window parts
 */
public record ObserverSpec(
    Kind kind,
    double[] buckets,
    int nativeSchema,
    int maxBuckets,
    List<Quantile> quantiles,
    long maxAgeMs,
    int ageBuckets) {

  /** Equal when every setting is: the bucket bounds by their values, not the array. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ObserverSpec other
        && kind == other.kind
        && java.util.Arrays.equals(buckets, other.buckets)
        && nativeSchema == other.nativeSchema
        && maxBuckets == other.maxBuckets
        && quantiles.equals(other.quantiles)
        && maxAgeMs == other.maxAgeMs
        && ageBuckets == other.ageBuckets;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        kind,
        java.util.Arrays.hashCode(buckets),
        nativeSchema,
        maxBuckets,
        quantiles,
        maxAgeMs,
        ageBuckets);
  }

  @Override
  public String toString() {
    return "ObserverSpec["
        + kind
        + " buckets="
        + java.util.Arrays.toString(buckets)
        + " nativeSchema="
        + nativeSchema
        + " maxBuckets="
        + maxBuckets
        + " quantiles="
        + quantiles
        + " maxAgeMs="
        + maxAgeMs
        + " ageBuckets="
        + ageBuckets
        + "]";
  }

  /** The observer types. */
  public enum Kind {
    /** Classic buckets. */
    HISTOGRAM,
    /** Native buckets, classic alongside. */
    NATIVE,
    /** Quantiles over a sliding window. */
    SUMMARY;

    /**
     * The type named in a flag or a mapping file.
     *
     * @param name {@code histogram}, {@code native} or {@code summary}
     * @return the type
     * @throws IllegalArgumentException for another name
     */
    public static Kind of(String name) {
      switch (name) {
        case "histogram":
          return HISTOGRAM;
        case "native":
          return NATIVE;
        case "summary":
          return SUMMARY;
        default:
          throw new IllegalArgumentException(
              "unknown observer type '" + name + "' (histogram, native or summary)");
      }
    }
  }

  /** A summary quantile and its allowed error. */
  public record Quantile(double quantile, double error) {}

  /** The Prometheus client libraries' default buckets, in seconds. */
  public static final double[] DEFAULT_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  /** Default native bucket factor: each bucket at most 10% wider than the last. */
  public static final double DEFAULT_BUCKET_FACTOR = 1.1;

  /** Default most native buckets. */
  public static final int DEFAULT_MAX_BUCKETS = 256;

  /** Default summary quantiles. */
  public static final List<Quantile> DEFAULT_QUANTILES =
      List.of(new Quantile(0.5, 0.05), new Quantile(0.9, 0.01), new Quantile(0.99, 0.001));

  /** Default summary window: ten minutes. */
  public static final long DEFAULT_MAX_AGE_MS = 600_000;

  /** Default summary window parts. */
  public static final int DEFAULT_AGE_BUCKETS = 5;

  /**
   * The spec of a kind with every other setting at its default.
   *
   * @param kind the observer type
   * @return the spec
   */
  public static ObserverSpec defaults(Kind kind) {
    return new ObserverSpec(
        kind,
        DEFAULT_BUCKETS,
        kind == Kind.NATIVE ? schemaFor(DEFAULT_BUCKET_FACTOR) : NO_NATIVE,
        DEFAULT_MAX_BUCKETS,
        DEFAULT_QUANTILES,
        DEFAULT_MAX_AGE_MS,
        DEFAULT_AGE_BUCKETS);
  }

  /** True when the series keeps classic buckets. */
  public boolean classic() {
    return kind != Kind.SUMMARY && buckets.length > 0;
  }

  /** {@link #nativeSchema} when a histogram keeps no native buckets. */
  public static final int NO_NATIVE = Integer.MIN_VALUE;

  /** True when the series keeps native buckets. */
  public boolean nativeBuckets() {
    return kind != Kind.SUMMARY && nativeSchema != NO_NATIVE;
  }

  /**
   * The coarsest schema whose bucket growth is at most the factor (as Prometheus clients pick
   * it), between -4 and 8.
   *
   * @param factor for example 1.1
   * @return the schema
   */
  public static int schemaFor(double factor) {
    if (!(factor > 1)) {
      throw new IllegalArgumentException(
          "native histogram bucket factor must be above 1, was " + factor);
    }
    double floor = Math.floor(Math.log(Math.log(factor) / Math.log(2)) / Math.log(2));
    if (floor <= -8) {
      return 8;
    }
    if (floor >= 4) {
      return -4;
    }
    return (int) -floor;
  }
}
