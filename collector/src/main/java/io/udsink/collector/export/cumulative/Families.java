package io.udsink.collector.export.cumulative;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.NativeHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.udsink.collector.aggregate.NativeHistogram;
import io.udsink.collector.export.SeriesLeftOut;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.mapping.ObserverSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders one family of the cumulative state as the Prometheus library's snapshot: points of
 * StatsD names the mapping made alike add up, and of points that cannot (different buckets),
 * the one updated last is shown and the others are counted as left out.
 */
final class Families {
  private Families() {}

  static MetricSnapshot render(List<PromSeries> members, long nowMs, Telemetry telemetry) {
    FamilyNames.Family f = members.get(0).family;
    // latest first, so that of points that cannot add up the one updated last is shown
    members.sort(
        java.util.Comparator.comparingLong((PromSeries p) -> -p.updatedMs)
            .thenComparing(p -> p.rawName));
    // StatsD names the mapping made alike add up (a gauge: the latest)
    Map<Labels, PromSeries> points = new LinkedHashMap<>();
    for (PromSeries p : members) {
      PromSeries first = points.get(p.labels);
      if (first == null) {
        points.put(p.labels, p.renderCopy(nowMs));
      } else if (p.sameLayout(first)) {
        p.addInto(first);
      } else if (!p.reportedLeftOut) {
        p.reportedLeftOut = true;
        telemetry.leftOut(
            SeriesLeftOut.LAYOUT_CONFLICT,
            CumulativeState.OUTPUT,
            p.kind.name().toLowerCase(java.util.Locale.ROOT)
                + " "
                + p.rawName
                + " ("
                + f.name()
                + p.labels
                + ")",
            null);
      }
    }
    String help =
        members.get(0).help != null
            ? members.get(0).help
            : f.type() == PromKind.UNTYPED
                ? "udsink counter"
                : "udsink " + f.type().name().toLowerCase(java.util.Locale.ROOT);
    MetricMetadata meta = new MetricMetadata(f.name(), help);
    switch (f.type()) {
      case COUNTER:
        {
          List<CounterDataPointSnapshot> dp = new ArrayList<>();
          points
              .values()
              .forEach(p -> dp.add(new CounterDataPointSnapshot(p.value, p.labels, null, 0)));
          return new CounterSnapshot(meta, dp);
        }
      case UNTYPED:
        {
          List<UnknownSnapshot.UnknownDataPointSnapshot> dp = new ArrayList<>();
          points
              .values()
              .forEach(
                  p ->
                      dp.add(
                          new UnknownSnapshot.UnknownDataPointSnapshot(p.value, p.labels, null)));
          return new UnknownSnapshot(meta, dp);
        }
      case GAUGE:
      case SET:
        {
          List<GaugeDataPointSnapshot> dp = new ArrayList<>();
          points.values().forEach(p -> dp.add(new GaugeDataPointSnapshot(p.value, p.labels, null)));
          return new GaugeSnapshot(meta, dp);
        }
      case HISTOGRAM:
        {
          List<HistogramSnapshot.HistogramDataPointSnapshot> dp = new ArrayList<>();
          for (PromSeries p : points.values()) {
            dp.add(histogramPoint(p));
          }
          return new HistogramSnapshot(meta, dp);
        }
      default:
        {
          List<SummaryDataPointSnapshot> dp = new ArrayList<>();
          for (PromSeries p : points.values()) {
            List<Quantile> qs = new ArrayList<>();
            for (ObserverSpec.Quantile q : p.quantiles()) {
              double v = p.quantile(q.quantile());
              if (Double.isFinite(v)) {
                qs.add(new Quantile(q.quantile(), v));
              }
            }
            dp.add(
                new SummaryDataPointSnapshot(
                    p.count, p.sum, Quantiles.of(qs), p.labels, Exemplars.EMPTY, 0));
          }
          return new SummarySnapshot(meta, dp);
        }
    }
  }

  private static HistogramSnapshot.HistogramDataPointSnapshot histogramPoint(PromSeries p) {
    ClassicHistogramBuckets classic = ClassicHistogramBuckets.EMPTY;
    if (p.classic != null) {
      double[] b = p.observer.buckets();
      double[] bounds = java.util.Arrays.copyOf(b, b.length + 1);
      bounds[b.length] = Double.POSITIVE_INFINITY;
      classic = ClassicHistogramBuckets.of(bounds, p.classic);
    }
    if (p.nativeBuckets == null) {
      return new HistogramSnapshot.HistogramDataPointSnapshot(
          classic, p.sum, p.labels, Exemplars.EMPTY, 0);
    }
    NativeHistogram h = p.nativeBuckets;
    return new HistogramSnapshot.HistogramDataPointSnapshot(
        classic,
        h.schema(),
        h.zeroCount(),
        NativeHistogram.ZERO_THRESHOLD,
        nativeBuckets(h.positiveBuckets()),
        nativeBuckets(h.negativeBuckets()),
        p.sum,
        p.labels,
        Exemplars.EMPTY,
        0);
  }

  private static NativeHistogramBuckets nativeBuckets(long[][] b) {
    int[] idx = new int[b[0].length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = (int) b[0][i];
    }
    return NativeHistogramBuckets.of(idx, b[1]);
  }

  /** One series of a counter, untyped or gauge family as a family of that one point. */
  static MetricSnapshot point(PromSeries p) {
    FamilyNames.Family f = p.family;
    MetricMetadata meta =
        new MetricMetadata(
            f.name(),
            p.help != null
                ? p.help
                : "udsink " + f.type().name().toLowerCase(java.util.Locale.ROOT));
    return switch (f.type()) {
      case COUNTER ->
          new CounterSnapshot(
              meta, List.of(new CounterDataPointSnapshot(p.value, p.labels, null, 0)));
      case UNTYPED ->
          new UnknownSnapshot(
              meta, List.of(new UnknownSnapshot.UnknownDataPointSnapshot(p.value, p.labels, null)));
      default ->
          new GaugeSnapshot(meta, List.of(new GaugeDataPointSnapshot(p.value, p.labels, null)));
    };
  }
}
