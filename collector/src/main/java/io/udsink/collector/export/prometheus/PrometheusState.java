package io.udsink.collector.export.prometheus;

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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
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
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.OutputWorker;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.ParseError;

/**
 * What {@code /metrics} shows: series updated within the TTL, as Prometheus sees them.
 *
 * <ul>
 *   <li>counters: cumulative since udsink started (or since the series last expired), as
 *       {@code <name>_total}; negative increments are counted, not added;</li>
 *   <li>gauges: the last value; sets: a gauge of the last interval's unique count;</li>
 *   <li>timers, histograms, distributions: summaries with the last interval's p50, p90, p95 and
 *       p99 and cumulative {@code _sum} and {@code _count};</li>
 *   <li>tags become labels: {@code k:v} is {@code k="v"}, a bare tag {@code k} is
 *       {@code k="true"}; a label given twice joins its values with {@code ,}.</li>
 * </ul>
 *
 * Every family gets names no other family uses, in any format ({@link FamilyNames}). Updated by
 * the Prometheus output's worker; read by the HTTP server; synchronized.
 */
public final class PrometheusState implements MultiCollector {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(PrometheusState.class);
  private static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99};

  private final long ttlMs;
  private final int maxSeries;
  private final Telemetry telemetry;
  private final String version;
  private final Map<Key, PromSeries> series = new HashMap<>();
  private final FamilyNames names = new FamilyNames();

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
    for (String n : TELEMETRY_COUNTERS) {
      names.reserve(MetricType.COUNTER, n);
    }
    for (Counter c : Counter.values()) {
      names.reserve(MetricType.COUNTER, "udsink_" + c.metric());
    }
    for (String n : TELEMETRY_GAUGES) {
      names.reserve(MetricType.GAUGE, n);
    }
    names.reserve(MetricType.GAUGE, "udsink_build_info");
    names.reserve(MetricType.GAUGE, "udsink_build");
    for (MetricSnapshot m : JVM_METRICS) {
      MetricType t = m instanceof CounterSnapshot ? MetricType.COUNTER
          : m instanceof SummarySnapshot || m instanceof HistogramSnapshot ? MetricType.TIMER
          : MetricType.GAUGE;
      names.reserve(t, m.getMetadata().getPrometheusName());
      names.reserve(t, m.getMetadata().getName());
      if (m instanceof InfoSnapshot) {
        names.reserve(MetricType.GAUGE, m.getMetadata().getName() + "_info");
      }
    }
  }

  /** The JVM and process metrics /metrics shows beside ours: their names are not for users. */
  private static final MetricSnapshots JVM_METRICS = jvmMetrics();

  private static MetricSnapshots jvmMetrics() {
    PrometheusRegistry r = new PrometheusRegistry();
    JvmMetrics.builder().register(r);
    return r.scrape();
  }

  /**
   * A registry for the HTTP exporter: this state, and the JVM and process metrics.
   *
   * @return the registry
   */
  public PrometheusRegistry registry() {
    PrometheusRegistry r = new PrometheusRegistry();
    r.register(this);
    JvmMetrics.builder().register(r);
    return r;
  }

  @Override
  public MetricSnapshots collect() {
    return snapshot();
  }

  private static final List<String> TELEMETRY_COUNTERS = List.of("udsink_parse_errors",
      "udsink_flushes", "udsink_prometheus_dropped_series",
      "udsink_prometheus_negative_increments", "udsink_series_errors",
      "udsink_output_writes", "udsink_output_errors", "udsink_output_merged_intervals");
  private static final List<String> TELEMETRY_GAUGES = List.of("udsink_interval_series",
      "udsink_prometheus_series", "udsink_output_backlog_intervals",
      "udsink_output_oldest_unwritten_seconds");

  private record Key(MetricType type, String name, List<String> tags) {
  }

  private static final java.util.Comparator<Series> APPLY_ORDER =
      java.util.Comparator.comparing(Series::type).thenComparing(Series::name);

  private static final class PromSeries {
    final FamilyNames.Family family;
    final Labels labels;
    final String name;
    double value;
    double count;
    double sum;
    double[] quantiles;
    long updatedMs;

    PromSeries(FamilyNames.Family family, Labels labels, String name) {
      this.family = family;
      this.labels = labels;
      this.name = name;
    }
  }

  /**
   * Adds an interval's series. A series that cannot be added (a bug) is left out and counted;
   * it never costs the others.
   */
  public synchronized void apply(Interval iv) {
    expire(iv.endMs()); // first, so that expired series make room for new ones
    // in a fixed order, so that which type keeps a contested name does not depend on hashing
    Series[] ordered = iv.series().clone();
    java.util.Arrays.sort(ordered, APPLY_ORDER);
    for (Series s : ordered) {
      try {
        applyOne(s, iv.endMs());
      } catch (RuntimeException e) {
        if (telemetry.seriesErrorsCounter().getAndIncrement() == 0) {
          LOG.error("series {} {} left out of /metrics (later ones are only counted)",
              s.type().label(), s.name(), e);
        }
      }
    }
  }

  private void applyOne(Series s, long endMs) {
    double[] q = null;
    if (s.type().isDistribution()) {
      q = new double[QUANTILES.length];
      for (int i = 0; i < q.length; i++) {
        q[i] = s.quantile(QUANTILES[i]);
      }
    }
    Key k = new Key(s.type(), s.name(), s.tags());
    PromSeries p = series.get(k);
    if (p == null) {
      if (series.size() >= maxSeries) {
        telemetry.promDroppedSeriesCounter().incrementAndGet();
        return;
      }
      Labels labels = labels(s.tags());
      FamilyNames.Family f = names.acquire(s.type(), PromNames.metricName(s.name()));
      p = new PromSeries(f, labels, s.name());
      series.put(k, p);
    }
    p.updatedMs = endMs;
    switch (s.type()) {
      case COUNTER:
        // A Prometheus counter only grows: negative increments are counted, not added.
        p.value = clamp(p.value + s.increase());
        telemetry.promNegativeIncrementsCounter().addAndGet(s.negativeSamples());
        break;
      case GAUGE:
        p.value = s.value();
        break;
      case SET:
        p.value = s.setSize();
        break;
      default:
        p.count = clamp(p.count + s.count());
        p.sum = clamp(p.sum + s.sum());
        p.quantiles = q;
        break;
    }
  }

  private static double clamp(double v) {
    return Double.isFinite(v) ? v : (v > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE);
  }

  private void expire(long nowMs) {
    Iterator<PromSeries> it = series.values().iterator();
    while (it.hasNext()) {
      PromSeries p = it.next();
      if (nowMs - p.updatedMs > ttlMs) {
        it.remove();
        names.release(p.family);
      }
    }
  }

  /**
   * The cumulative state, for the instance that takes over from this one: every series with its
   * family name and values, and udsink's own counters.
   *
   * @return the state as JSON
   */
  public synchronized byte[] exportState() {
    ObjectNode root = STATE_JSON.createObjectNode();
    ArrayNode list = root.putArray("series");
    for (Map.Entry<Key, PromSeries> e : series.entrySet()) {
      PromSeries p = e.getValue();
      ObjectNode n = list.addObject();
      n.put("type", e.getKey().type().name());
      n.put("name", e.getKey().name());
      ArrayNode tags = n.putArray("tags");
      e.getKey().tags().forEach(tags::add);
      n.put("family", p.family.name());
      n.put("value", p.value);
      n.put("count", p.count);
      n.put("sum", p.sum);
      if (p.quantiles != null) {
        ArrayNode q = n.putArray("quantiles");
        for (double d : p.quantiles) {
          q.add(d);
        }
      }
      n.put("updated_ms", p.updatedMs);
    }
    root.set("telemetry", telemetry.exportBase());
    try {
      return STATE_JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Continues from an earlier instance's state: cumulative values add to this instance's, the
   * last values (gauges, sets, quantiles) are taken where this instance has none yet, and every
   * family keeps its name where it can.
   *
   * @param state what {@link #exportState()} gave
   * @throws IOException when the state does not parse
   */
  public synchronized void importState(byte[] state) throws IOException {
    JsonNode root = STATE_JSON.readTree(state);
    for (JsonNode n : root.path("series")) {
      MetricType type = MetricType.valueOf(n.get("type").asText());
      List<String> tags = new ArrayList<>();
      n.get("tags").forEach(t -> tags.add(t.asText()));
      Key k = new Key(type, n.get("name").asText(), List.copyOf(tags));
      PromSeries p = series.get(k);
      boolean fresh = p == null;
      if (fresh) {
        if (series.size() >= maxSeries) {
          telemetry.promDroppedSeriesCounter().incrementAndGet();
          continue;
        }
        FamilyNames.Family f = names.acquire(type, PromNames.metricName(k.name()),
            n.get("family").asText());
        p = new PromSeries(f, labels(k.tags()), k.name());
        series.put(k, p);
        p.updatedMs = n.get("updated_ms").asLong();
      }
      if (type == MetricType.COUNTER) {
        p.value = clamp(p.value + n.get("value").asDouble());
      } else if (fresh) {
        p.value = n.get("value").asDouble();
      }
      if (type.isDistribution()) {
        p.count = clamp(p.count + n.get("count").asDouble());
        p.sum = clamp(p.sum + n.get("sum").asDouble());
        if (fresh) {
          double[] q = new double[QUANTILES.length];
          for (int i = 0; i < q.length; i++) {
            q[i] = n.get("quantiles").get(i).asDouble();
          }
          p.quantiles = q;
        }
      }
    }
    telemetry.importBase(root.path("telemetry"));
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper STATE_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** Series currently shown. */
  public synchronized int size() {
    return series.size();
  }

  /** Prometheus names currently held by families (for tests of the bound). */
  synchronized int namesHeld() {
    return names.size();
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
    for (PromSeries p : series.values()) {
      byFamily.computeIfAbsent(p.family.name(), f -> new ArrayList<>()).add(p);
    }
    List<MetricSnapshot> out = new ArrayList<>();
    for (List<PromSeries> members : byFamily.values()) {
      try {
        out.add(family(members));
      } catch (RuntimeException e) {
        if (telemetry.seriesErrorsCounter().getAndIncrement() == 0) {
          LOG.error("family {} left out of /metrics (later ones are only counted)",
              members.get(0).family.name(), e);
        }
      }
    }
    addTelemetry(out);
    return new MetricSnapshots(out);
  }

  private static MetricSnapshot family(List<PromSeries> members) {
    FamilyNames.Family f = members.get(0).family;
    members.sort(java.util.Comparator.comparing(p -> p.name));
    Map<Labels, PromSeries> points = new LinkedHashMap<>();
    for (PromSeries p : members) {
      points.putIfAbsent(p.labels, p); // names that sanitise alike: the first by name is shown
    }
    MetricMetadata meta = new MetricMetadata(f.name(), "udsink " + f.type().label());
    switch (f.type()) {
      case COUNTER: {
        List<CounterDataPointSnapshot> dp = new ArrayList<>();
        points.values().forEach(p -> dp.add(new CounterDataPointSnapshot(p.value, p.labels,
            null, 0)));
        return new CounterSnapshot(meta, dp);
      }
      case GAUGE:
      case SET: {
        List<GaugeDataPointSnapshot> dp = new ArrayList<>();
        points.values().forEach(p -> dp.add(new GaugeDataPointSnapshot(p.value, p.labels,
            null)));
        return new GaugeSnapshot(meta, dp);
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
        return new SummarySnapshot(meta, dp);
      }
    }
  }

  private void addTelemetry(List<MetricSnapshot> out) {
    for (Counter c : Counter.values()) {
      out.add(counter("udsink_" + c.metric(), c.help(),
          telemetry.shown(c.metric(), telemetry.counter(c))));
    }
    List<CounterDataPointSnapshot> errs = new ArrayList<>();
    for (ParseError r : ParseError.values()) {
      errs.add(new CounterDataPointSnapshot(
          telemetry.shown("parse_errors/" + r.label(), telemetry.parseErrors(r)),
          Labels.of("reason", r.label()), null, 0));
    }
    out.add(new CounterSnapshot(new MetricMetadata("udsink_parse_errors",
        "Lines rejected, by reason"), errs));
    out.add(counter("udsink_flushes", "Intervals handed to the outputs",
        telemetry.shown("flushes", telemetry.flushes())));
    out.add(counter("udsink_prometheus_dropped_series",
        "Series not shown because --max-series were already shown",
        telemetry.shown("prometheus_dropped_series", telemetry.promDroppedSeriesCounter().get())));
    out.add(counter("udsink_prometheus_negative_increments",
        "Negative counter increments not added to Prometheus counters (a counter only grows)",
        telemetry.shown("prometheus_negative_increments", telemetry.promNegativeIncrements())));
    out.add(counter("udsink_series_errors",
        "Series an output left out because they could not be turned into output",
        telemetry.shown("series_errors", telemetry.seriesErrors())));
    List<OutputWorker> workers = telemetry.workers();
    out.add(perOutput(true, "udsink_output_writes", "Intervals an output wrote", workers,
        w -> telemetry.shown("output_writes/" + w.output().name(), w.writes())));
    out.add(perOutput(true, "udsink_output_errors", "Failed writes of an output (retried)",
        workers, w -> telemetry.shown("output_errors/" + w.output().name(), w.errors())));
    out.add(perOutput(true, "udsink_output_merged_intervals",
        "Intervals merged into a later one because the output was busy or failing", workers,
        w -> telemetry.shown("output_merged_intervals/" + w.output().name(),
            w.mergedIntervals())));
    out.add(perOutput(false, "udsink_output_backlog_intervals",
        "Intervals handed to an output and not yet written", workers,
        OutputWorker::backlogIntervals));
    out.add(perOutput(false, "udsink_output_oldest_unwritten_seconds",
        "Age of the oldest data an output has not written; 0 when it is up to date", workers,
        OutputWorker::oldestUnwrittenSeconds));
    out.add(gauge("udsink_interval_series", "Series in the last flushed interval",
        telemetry.liveSeries()));
    out.add(gauge("udsink_prometheus_series", "Series shown on this endpoint", series.size()));
    out.add(new InfoSnapshot(new MetricMetadata("udsink_build", "udsink version"),
        List.of(new InfoDataPointSnapshot(Labels.of("version", Objects.toString(version),
            "java", System.getProperty("java.version"))))));
  }

  private static MetricSnapshot perOutput(boolean counter, String name, String help,
      List<OutputWorker> workers, java.util.function.ToDoubleFunction<OutputWorker> value) {
    MetricMetadata meta = new MetricMetadata(name, help);
    if (counter) {
      List<CounterDataPointSnapshot> dp = new ArrayList<>();
      for (OutputWorker w : workers) {
        dp.add(new CounterDataPointSnapshot(value.applyAsDouble(w),
            Labels.of("output", w.output().name()), null, 0));
      }
      return new CounterSnapshot(meta, dp);
    }
    List<GaugeDataPointSnapshot> dp = new ArrayList<>();
    for (OutputWorker w : workers) {
      dp.add(new GaugeDataPointSnapshot(value.applyAsDouble(w),
          Labels.of("output", w.output().name()), null));
    }
    return new GaugeSnapshot(meta, dp);
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
