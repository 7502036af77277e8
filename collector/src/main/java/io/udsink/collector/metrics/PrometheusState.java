package io.udsink.collector.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;

/**
 * What {@code /metrics} shows: series updated within the TTL, as Prometheus sees them.
 *
 * <ul>
 *   <li>counters: cumulative since udsink started (or since the series last expired), as
 *       {@code <name>_total};</li>
 *   <li>gauges: the last value; sets: a gauge of the last interval's unique count;</li>
 *   <li>timers, histograms, distributions: summaries with the last interval's p50, p90, p95 and
 *       p99 and cumulative {@code _sum} and {@code _count};</li>
 *   <li>tags become labels: {@code k:v} is {@code k="v"}, a bare tag {@code k} is
 *       {@code k="true"}; a label given twice joins its values with {@code ,}.</li>
 * </ul>
 *
 * If a name is taken by one type, a series of another type with the same Prometheus name gets
 * {@code _<type>} appended. Updated by the flusher; read by the HTTP server; synchronized.
 */
public final class PrometheusState {
  private static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99};

  private final long ttlMs;
  private final int maxSeries;
  private final Telemetry telemetry;
  private final String version;
  private final Map<Key, PromSeries> series = new HashMap<>();
  private final Map<String, MetricType> claims = new HashMap<>();

  /**
   * Creates the state.
   *
   * @param ttlMs series not updated for this long are dropped
   * @param maxSeries most series kept
   * @param telemetry udsink's own counters, shown under {@code udsink_}
   * @param version for {@code udsink_build_info}
   */
  public PrometheusState(long ttlMs, int maxSeries, Telemetry telemetry, String version) {
    this.ttlMs = ttlMs;
    this.maxSeries = maxSeries;
    this.telemetry = telemetry;
    this.version = version;
  }

  /** Names udsink's own metrics use; a user series that sanitises to one gets a suffix. */
  private static final java.util.Set<String> RESERVED = reserved();

  private static java.util.Set<String> reserved() {
    java.util.Set<String> r = new java.util.HashSet<>(List.of("udsink_parse_errors",
        "udsink_flushes", "udsink_sink_errors", "udsink_sink_dropped_lines",
        "udsink_prometheus_dropped_series", "udsink_interval_series", "udsink_prometheus_series",
        "udsink_flush_duration_seconds", "udsink_build"));
    for (Counter c : Counter.values()) {
      r.add("udsink_" + c.metric());
    }
    return r;
  }

  private record Key(MetricType type, String name, List<String> tags) {
  }

  private static final class PromSeries {
    final String family;
    final Labels labels;
    double value;
    double count;
    double sum;
    double[] quantiles;
    long updatedMs;

    PromSeries(String family, Labels labels) {
      this.family = family;
      this.labels = labels;
    }
  }

  /** Adds an interval's series. */
  public synchronized void apply(Interval iv) {
    for (Series s : iv.series()) {
      Key k = new Key(s.type(), s.name(), s.tags());
      PromSeries p = series.get(k);
      if (p == null) {
        if (series.size() >= maxSeries) {
          telemetry.promDroppedSeries.incrementAndGet();
          continue;
        }
        p = new PromSeries(family(s.type(), s.name()), labels(s.tags()));
        series.put(k, p);
      }
      p.updatedMs = iv.endMs();
      switch (s.type()) {
        case COUNTER:
          p.value += s.value;
          break;
        case GAUGE:
          p.value = s.value;
          break;
        case SET:
          p.value = s.members.size();
          break;
        default:
          p.count += s.count;
          p.sum += s.sum;
          double[] q = new double[QUANTILES.length];
          for (int i = 0; i < q.length; i++) {
            q[i] = s.quantile(QUANTILES[i]);
          }
          p.quantiles = q;
          break;
      }
    }
    expire(iv.endMs());
  }

  private void expire(long nowMs) {
    Iterator<PromSeries> it = series.values().iterator();
    while (it.hasNext()) {
      if (nowMs - it.next().updatedMs > ttlMs) {
        it.remove();
      }
    }
  }

  /** Series currently shown. */
  public synchronized int size() {
    return series.size();
  }

  private String family(MetricType type, String name) {
    String base = PromNames.metricName(name);
    if (RESERVED.contains(base)) {
      base = base + "_" + type.label();
    }
    MetricType owner = claims.putIfAbsent(base, type);
    if (owner == null || owner == type) {
      return base;
    }
    String alt = base + "_" + type.label();
    claims.putIfAbsent(alt, type);
    return alt;
  }

  static Labels labels(List<String> tags) {
    if (tags.isEmpty()) {
      return Labels.EMPTY;
    }
    Map<String, String> m = new TreeMap<>();
    for (String t : tags) {
      int colon = t.indexOf(':');
      String k = PromNames.labelName(colon < 0 ? t : t.substring(0, colon));
      String v = colon < 0 ? "true" : t.substring(colon + 1);
      m.merge(k, v, (a, b) -> a + "," + b);
    }
    Labels.Builder b = Labels.builder();
    m.forEach(b::label);
    return b.build();
  }

  /** Writes the Prometheus text format. */
  public void write(OutputStream out) throws IOException {
    new PrometheusTextFormatWriter(false).write(out, snapshot());
  }

  /** The current state as the Prometheus library's snapshots. */
  public synchronized MetricSnapshots snapshot() {
    Map<String, List<PromSeries>> byFamily = new TreeMap<>();
    Map<String, MetricType> types = new HashMap<>();
    for (Map.Entry<Key, PromSeries> e : series.entrySet()) {
      byFamily.computeIfAbsent(e.getValue().family, f -> new ArrayList<>()).add(e.getValue());
      types.put(e.getValue().family, e.getKey().type());
    }
    List<MetricSnapshot> out = new ArrayList<>();
    for (Map.Entry<String, List<PromSeries>> f : byFamily.entrySet()) {
      MetricType type = types.get(f.getKey());
      Map<Labels, PromSeries> points = new LinkedHashMap<>();
      for (PromSeries p : f.getValue()) {
        points.putIfAbsent(p.labels, p); // names that sanitise alike: the first one is shown
      }
      MetricMetadata meta = new MetricMetadata(f.getKey(), "udsink " + type.label());
      switch (type) {
        case COUNTER: {
          List<CounterDataPointSnapshot> dp = new ArrayList<>();
          points.values().forEach(p -> dp.add(new CounterDataPointSnapshot(p.value, p.labels,
              null, 0)));
          out.add(new CounterSnapshot(meta, dp));
          break;
        }
        case GAUGE:
        case SET: {
          List<GaugeDataPointSnapshot> dp = new ArrayList<>();
          points.values().forEach(p -> dp.add(new GaugeDataPointSnapshot(p.value, p.labels,
              null)));
          out.add(new GaugeSnapshot(meta, dp));
          break;
        }
        default: {
          List<SummaryDataPointSnapshot> dp = new ArrayList<>();
          for (PromSeries p : points.values()) {
            List<Quantile> qs = new ArrayList<>();
            for (int i = 0; i < QUANTILES.length; i++) {
              qs.add(new Quantile(QUANTILES[i], p.quantiles[i]));
            }
            dp.add(new SummaryDataPointSnapshot(Math.round(p.count), p.sum, Quantiles.of(qs),
                p.labels, Exemplars.EMPTY, 0));
          }
          out.add(new SummarySnapshot(meta, dp));
          break;
        }
      }
    }
    addTelemetry(out);
    return new MetricSnapshots(out);
  }

  private void addTelemetry(List<MetricSnapshot> out) {
    for (Counter c : Counter.values()) {
      out.add(counter("udsink_" + c.metric(), c.help(), telemetry.counter(c)));
    }
    List<CounterDataPointSnapshot> errs = new ArrayList<>();
    for (ParseError r : ParseError.values()) {
      errs.add(new CounterDataPointSnapshot(telemetry.parseErrors(r),
          Labels.of("reason", r.label()), null, 0));
    }
    out.add(new CounterSnapshot(new MetricMetadata("udsink_parse_errors",
        "Lines rejected, by reason"), errs));
    out.add(counter("udsink_flushes", "Flushes completed", telemetry.flushes()));
    out.add(counter("udsink_sink_errors", "Failed writes to the JSON lines output",
        telemetry.sinkErrors()));
    out.add(counter("udsink_sink_dropped_lines",
        "JSON lines given up after repeated write failures", telemetry.sinkDroppedLines()));
    out.add(counter("udsink_prometheus_dropped_series",
        "Series not shown because --max-series were already shown",
        telemetry.promDroppedSeries.get()));
    out.add(gauge("udsink_interval_series", "Series in the last flushed interval",
        telemetry.liveSeries));
    out.add(gauge("udsink_prometheus_series", "Series shown on this endpoint", series.size()));
    out.add(gauge("udsink_flush_duration_seconds", "Duration of the last flush",
        telemetry.lastFlushSeconds));
    out.add(new InfoSnapshot(new MetricMetadata("udsink_build", "udsink version"),
        List.of(new InfoDataPointSnapshot(Labels.of("version", Objects.toString(version),
            "java", System.getProperty("java.version"))))));
  }

  private static CounterSnapshot counter(String name, String help, double v) {
    return new CounterSnapshot(new MetricMetadata(name, help),
        List.of(new CounterDataPointSnapshot(v, Labels.EMPTY, null, 0)));
  }

  private static GaugeSnapshot gauge(String name, String help, double v) {
    return new GaugeSnapshot(new MetricMetadata(name, help),
        List.of(new GaugeDataPointSnapshot(v, Labels.EMPTY, null)));
  }
}
