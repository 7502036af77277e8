package io.udsink.collector.export.remotewrite;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.NativeHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import java.math.BigDecimal;
import java.util.Map;

/**
 * What {@code /metrics} would show, as remote-write series: the sample names a scrape of the text
 * format stores ({@code x_total}, {@code x_bucket{le}}, {@code x_sum}, {@code x_count},
 * {@code x{quantile}}), each with the given labels added where the series has no label of that
 * name (as Prometheus adds its external labels). A histogram's classic buckets, {@code _sum}
 * and {@code _count} are sent, and with {@code natives} its native histogram too, under the
 * family's own name, as a scrape of both stores them.
 */
final class Samples {
  private Samples() {}

  /**
   * Adds every sample of the snapshots to a request.
   *
   * @param snapshots the families
   * @param external labels every series gets unless it has that label
   * @param timestampMs the samples' time
   * @param into the request
   */
  static void add(
      MetricSnapshots snapshots,
      Map<String, String> external,
      long timestampMs,
      WriteRequest into) {
    add(snapshots, external, timestampMs, into, false);
  }

  /**
   * Adds every sample of the snapshots to a request.
   *
   * @param snapshots the families
   * @param external labels every series gets unless it has that label
   * @param timestampMs the samples' time
   * @param into the request
   * @param natives send native histograms as such (besides their classic buckets)
   */
  static void add(
      MetricSnapshots snapshots,
      Map<String, String> external,
      long timestampMs,
      WriteRequest into,
      boolean natives) {
    for (MetricSnapshot m : snapshots) {
      String name = m.getMetadata().getPrometheusName();
      if (m instanceof CounterSnapshot c) {
        c.getDataPoints()
            .forEach(
                p ->
                    into.add(
                        flat(name + "_total", p.getLabels(), null, null, external),
                        p.getValue(),
                        timestampMs,
                        true));
      } else if (m instanceof GaugeSnapshot g) {
        g.getDataPoints()
            .forEach(
                p ->
                    put(
                        into,
                        name,
                        p.getLabels(),
                        null,
                        null,
                        external,
                        p.getValue(),
                        timestampMs));
      } else if (m instanceof UnknownSnapshot u) {
        u.getDataPoints()
            .forEach(
                p ->
                    put(
                        into,
                        name,
                        p.getLabels(),
                        null,
                        null,
                        external,
                        p.getValue(),
                        timestampMs));
      } else if (m instanceof InfoSnapshot i) {
        i.getDataPoints()
            .forEach(
                p ->
                    put(into, name + "_info", p.getLabels(), null, null, external, 1, timestampMs));
      } else if (m instanceof HistogramSnapshot h) {
        for (HistogramSnapshot.HistogramDataPointSnapshot p : h.getDataPoints()) {
          if (natives && p.hasNativeHistogramData()) {
            into.addHistogram(
                flat(name, p.getLabels(), null, null, external), nativeOf(p), timestampMs);
          }
          if (p.hasClassicHistogramData()) {
            ClassicHistogramBuckets b = p.getClassicBuckets();
            long cumulative = 0;
            for (int k = 0; k < b.size(); k++) {
              cumulative += b.getCount(k);
              into.add(
                  flat(
                      name + "_bucket", p.getLabels(), "le", goFloat(b.getUpperBound(k)), external),
                  cumulative,
                  timestampMs,
                  true);
            }
          }
          into.add(
              flat(name + "_count", p.getLabels(), null, null, external),
              p.getCount(),
              timestampMs,
              true);
          into.add(
              flat(name + "_sum", p.getLabels(), null, null, external),
              p.getSum(),
              timestampMs,
              true);
        }
      } else if (m instanceof SummarySnapshot s) {
        for (SummarySnapshot.SummaryDataPointSnapshot p : s.getDataPoints()) {
          for (Quantile q : p.getQuantiles()) {
            put(
                into,
                name,
                p.getLabels(),
                "quantile",
                goFloat(q.getQuantile()),
                external,
                q.getValue(),
                timestampMs);
          }
          into.add(
              flat(name + "_count", p.getLabels(), null, null, external),
              p.getCount(),
              timestampMs,
              true);
          into.add(
              flat(name + "_sum", p.getLabels(), null, null, external),
              p.getSum(),
              timestampMs,
              true);
        }
      }
    }
  }

  private static WriteRequest.Native nativeOf(HistogramSnapshot.HistogramDataPointSnapshot p) {
    return new WriteRequest.Native(
        p.getCount(),
        p.getSum(),
        p.getNativeSchema(),
        p.getNativeZeroThreshold(),
        p.getNativeZeroCount(),
        buckets(p.getNativeBucketsForNegativeValues()),
        buckets(p.getNativeBucketsForPositiveValues()));
  }

  private static WriteRequest.Buckets buckets(NativeHistogramBuckets b) {
    int[] index = new int[b.size()];
    long[] count = new long[b.size()];
    for (int i = 0; i < b.size(); i++) {
      index[i] = b.getBucketIndex(i);
      count[i] = b.getCount(i);
    }
    return new WriteRequest.Buckets(index, count);
  }

  private static void put(
      WriteRequest into,
      String name,
      Labels labels,
      String extraName,
      String extraValue,
      Map<String, String> external,
      double value,
      long timestampMs) {
    into.add(flat(name, labels, extraName, extraValue, external), value, timestampMs);
  }

  /** The labels of a sample, sorted, external labels added, empty values left out. */
  private static String[] flat(
      String name,
      Labels labels,
      String extraName,
      String extraValue,
      Map<String, String> external) {
    int n = labels.size() + external.size() + 2;
    String[] k = new String[n];
    String[] v = new String[n];
    int c = 0;
    k[c] = "__name__";
    v[c++] = name;
    for (int i = 0; i < labels.size(); i++) {
      c = put(k, v, c, labels.getPrometheusName(i), labels.getValue(i), true);
    }
    if (extraName != null) {
      c = put(k, v, c, extraName, extraValue, true);
    }
    for (Map.Entry<String, String> e : external.entrySet()) {
      c = put(k, v, c, e.getKey(), e.getValue(), false); // a series' own label wins
    }
    // sort by name: a handful of labels, so an insertion sort
    for (int i = 1; i < c; i++) {
      String kk = k[i];
      String vv = v[i];
      int j = i - 1;
      for (; j >= 0 && k[j].compareTo(kk) > 0; j--) {
        k[j + 1] = k[j];
        v[j + 1] = v[j];
      }
      k[j + 1] = kk;
      v[j + 1] = vv;
    }
    String[] flat = new String[c * 2];
    int f = 0;
    for (int i = 0; i < c; i++) {
      if (v[i].isEmpty()) {
        continue; // an empty label is no label
      }
      flat[f++] = k[i];
      flat[f++] = v[i];
    }
    return f == flat.length ? flat : java.util.Arrays.copyOf(flat, f);
  }

  /** Adds a label, or replaces (or keeps) the value of one of that name; the new count. */
  private static int put(String[] k, String[] v, int c, String name, String value, boolean wins) {
    for (int i = 0; i < c; i++) {
      if (k[i].equals(name)) {
        if (wins && !"__name__".equals(name)) {
          v[i] = value;
        }
        return c;
      }
    }
    k[c] = name;
    v[c] = value;
    return c + 1;
  }

  /**
   * A bound as Prometheus writes it ({@code 0.005}, {@code 1}, {@code 1e+06}, {@code +Inf}), so
   * that the {@code le} and {@code quantile} values match those of a scrape.
   */
  static String goFloat(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return "0";
    }
    BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
    int exp = d.precision() - d.scale() - 1;
    if (exp < -4 || exp >= 6) { // Go's shortest %g
      String digits = d.unscaledValue().abs().toString();
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      String e = Integer.toString(Math.abs(exp));
      return (v < 0 ? "-" : "")
          + mantissa
          + "e"
          + (exp < 0 ? "-" : "+")
          + (e.length() < 2 ? "0" + e : e);
    }
    return d.toPlainString();
  }
}
