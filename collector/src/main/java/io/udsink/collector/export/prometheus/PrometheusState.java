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
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.NativeHistogramBuckets;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
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
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.NativeHistogram;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.OutputCount;
import io.udsink.collector.export.OutputWorker;
import io.udsink.collector.export.SeriesLeftOut;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.mapping.Mapped;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.ParseError;

/**
 * What {@code /metrics} shows: series updated within the TTL, as Prometheus sees them.
 *
 * <ul>
 *   <li>counters: cumulative since udsink started (or since the series last expired), as
 *       {@code <name>_total}; negative increments are counted, not added; a counter a mapping
 *       file names without {@code _total} keeps that exact name, untyped;</li>
 *   <li>gauges: the last value; sets: a gauge of the last interval's unique count;</li>
 *   <li>timers, histograms, distributions: by the series' observer type, a histogram (classic
 *       buckets, native buckets, or both) or a summary over a sliding window, with cumulative
 *       {@code _sum} and {@code _count};</li>
 *   <li>a mapping file's name and labels when a rule matched;</li>
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

  /** The output's name in telemetry. */
  private static final String OUTPUT = "prometheus";
  private final long ttlMs;
  private final int maxSeries;
  private volatile MapperRef mapping;
  private final Telemetry telemetry;
  private final String version;
  private final Map<Key, PromSeries> series = new HashMap<>();
  private final Map<ImportedKey, PromSeries> imported = new HashMap<>();
  private final FamilyNames names = new FamilyNames();
  private long lastMs;

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
      names.reserve(PromKind.COUNTER, n);
    }
    for (Counter c : Counter.values()) {
      names.reserve(PromKind.COUNTER, "udsink_" + c.metric());
    }
    for (OutputCount c : OutputCount.values()) {
      names.reserve(PromKind.COUNTER, "udsink_output_" + c.metric());
    }
    for (String n : TELEMETRY_GAUGES) {
      names.reserve(PromKind.GAUGE, n);
    }
    names.reserve(PromKind.GAUGE, "udsink_build_info");
    names.reserve(PromKind.GAUGE, "udsink_build");
    for (MetricSnapshot m : JVM_METRICS) {
      PromKind t = m instanceof CounterSnapshot ? PromKind.COUNTER
          : m instanceof HistogramSnapshot ? PromKind.HISTOGRAM
          : m instanceof SummarySnapshot ? PromKind.SUMMARY : PromKind.GAUGE;
      names.reserve(t, m.getMetadata().getPrometheusName());
      names.reserve(t, m.getMetadata().getName());
      if (m instanceof InfoSnapshot) {
        names.reserve(PromKind.GAUGE, m.getMetadata().getName() + "_info");
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

  /**
   * Shows the mapping file's rule count and reloads beside udsink's own metrics.
   *
   * @param ref the mapper in force
   */
  public void showMapping(MapperRef ref) {
    this.mapping = ref;
  }

  @Override
  public MetricSnapshots collect() {
    return snapshot();
  }

  private static final List<String> TELEMETRY_COUNTERS = List.of("udsink_parse_errors",
      "udsink_flushes", "udsink_prometheus_dropped_series",
      "udsink_prometheus_negative_increments", "udsink_series_errors",
      "udsink_output_writes", "udsink_output_errors", "udsink_output_merged_intervals",
      "udsink_mapping_reloads", "udsink_datagrams_by_uid");
  private static final List<String> TELEMETRY_GAUGES = List.of("udsink_interval_series",
      "udsink_prometheus_series", "udsink_output_backlog_intervals",
      "udsink_output_oldest_unwritten_seconds", "udsink_mapping_rules",
      "udsink_socket_queue_datagrams", "udsink_socket_queue_datagrams_max",
      "udsink_max_dgram_qlen");

  /** A series of the intervals, under what the mapping made of it. */
  private record Key(MetricType type, String name, List<String> tags, Mapped mapped) {
  }

  private static final java.util.Comparator<Series> APPLY_ORDER =
      java.util.Comparator.comparing(Series::type).thenComparing(Series::name);

  /**
   * Adds an interval's series. A series that cannot be added (a bug) is left out and counted;
   * it never costs the others.
   */
  public synchronized void apply(Interval iv) {
    lastMs = Math.max(lastMs, iv.endMs());
    expire(iv.endMs()); // first, so that expired series make room for new ones
    // in a fixed order, so that which type keeps a contested name does not depend on hashing
    Series[] ordered = iv.series().clone();
    java.util.Arrays.sort(ordered, APPLY_ORDER);
    for (Series s : ordered) {
      try {
        applyOne(s, iv.endMs());
      } catch (RuntimeException e) {
        telemetry.leftOut(SeriesLeftOut.FAILED, OUTPUT, s.type().label() + " " + s.name(), e);
      }
    }
  }

  private void applyOne(Series s, long endMs) {
    Mapped m = s.mapped();
    Key k = new Key(s.type(), s.name(), s.tags(), m);
    PromSeries p = series.get(k);
    if (p == null) {
      if (series.size() >= maxSeries) {
        telemetry.promDroppedSeriesCounter().incrementAndGet();
        return;
      }
      p = create(s, m, null);
      series.put(k, p);
    }
    long negative = p.apply(s, endMs);
    if (negative > 0) {
      telemetry.promNegativeIncrementsCounter().addAndGet(negative);
    }
  }

  private PromSeries create(Series s, Mapped m, String preferredFamily) {
    PromKind kind = PromKind.of(s.type(), m.observer());
    if (kind == PromKind.COUNTER && m.name() != null && !m.name().endsWith("_total")) {
      kind = PromKind.UNTYPED; // a mapping file's name is kept as it is
    }
    String name = m.name() != null ? m.name() : PromNames.metricName(s.name());
    String base = PrometheusNaming.sanitizeMetricName(name);
    if (base.isEmpty()) {
      base = "_";
    }
    Labels labels = labels(s.tags(), m.labels(), m.honorLabels(), kind);
    FamilyNames.Family f = names.acquire(kind, base, preferredFamily);
    return new PromSeries(f, labels, s.name(), kind, m.ttlMs() > 0 ? m.ttlMs() : ttlMs,
        m.help(), m.observer());
  }

  private static double clamp(double v) {
    return Double.isFinite(v) ? v : (v > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE);
  }

  private void expire(long nowMs) {
    Iterator<PromSeries> it = series.values().iterator();
    java.util.Set<List<Object>> live = new java.util.HashSet<>();
    while (it.hasNext()) {
      PromSeries p = it.next();
      if (nowMs - p.updatedMs > p.ttlMs) {
        it.remove();
        names.release(p.family);
      } else if (!imported.isEmpty()) {
        live.add(List.of(p.family, p.labels));
      }
    }
    // what an earlier instance handed over stays while a live series continues it, or its TTL
    Iterator<PromSeries> old = imported.values().iterator();
    while (old.hasNext()) {
      PromSeries p = old.next();
      if (live.contains(List.of(p.family, p.labels))) {
        p.updatedMs = nowMs;
      } else if (nowMs - p.updatedMs > p.ttlMs) {
        old.remove();
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
    List<PromSeries> all = new ArrayList<>(series.values());
    all.addAll(imported.values()); // what this instance took over, handed on in turn
    for (PromSeries p : all) {
      ObjectNode n = list.addObject();
      n.put("name", p.rawName);
      n.put("family", p.family.name());
      n.put("kind", p.kind.name());
      n.putPOJO("labels", labelMap(p.labels));
      p.export(n);
    }
    root.set("telemetry", telemetry.exportBase());
    try {
      return STATE_JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Map<String, String> labelMap(Labels labels) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < labels.size(); i++) {
      m.put(labels.getName(i), labels.getValue(i));
    }
    return m;
  }

  /**
   * Continues from an earlier instance's state: cumulative values add to this instance's, a
   * gauge's last value is taken where this instance has none yet, and every family keeps its name
   * where it can. Every series comes with the settings it was made with (buckets, native schema,
   * summary quantiles and window) and a summary with its window's samples, so that what this
   * instance adds continues it exactly. A series whose state does not fit is left out whole and
   * counted ({@link SeriesLeftOut#HANDOVER_MISMATCH}); it never costs the others.
   *
   * @param state what {@link #exportState()} gave
   * @throws IOException when the state does not parse
   */
  public synchronized void importState(byte[] state) throws IOException {
    importState(new java.io.ByteArrayInputStream(state));
  }

  /**
   * As {@link #importState(byte[])}, read as a stream one series at a time: what it holds is
   * bounded by {@code --max-series} (series beyond it are counted as dropped), not by the size
   * of what was sent. An empty stream is no state.
   *
   * @param state what {@link #exportState()} gave
   * @throws IOException when it does not parse
   */
  public synchronized void importState(java.io.InputStream state) throws IOException {
    try (com.fasterxml.jackson.core.JsonParser p = STATE_JSON.createParser(state)) {
      com.fasterxml.jackson.core.JsonToken t = p.nextToken();
      if (t == null) {
        return;
      }
      if (t != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        throw new IOException("takeover state: not a JSON object");
      }
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String field = p.currentName();
        com.fasterxml.jackson.core.JsonToken v = p.nextToken();
        if ("series".equals(field) && v == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
          while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
            JsonNode n = p.readValueAsTree();
            String rawName = n.path("name").asText();
            try {
              importOne(n, rawName);
            } catch (RuntimeException e) {
              telemetry.leftOut(SeriesLeftOut.HANDOVER_MISMATCH, OUTPUT, "handed-over "
                  + rawName, e);
            }
          }
        } else if ("telemetry".equals(field)) {
          telemetry.importBase(p.readValueAsTree());
        } else {
          p.skipChildren();
        }
      }
    }
  }

  private void importOne(JsonNode n, String rawName) {
    PromKind kind = PromKind.valueOf(n.path("kind").asText(PromKind.GAUGE.name()));
    Map<String, String> labels = new TreeMap<>();
    n.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(),
        e.getValue().asText()));
    String family = n.path("family").asText();
    ImportedKey ik = new ImportedKey(kind, family, labelMap(labels(labels)));
    PromSeries p = imported.get(ik);
    boolean fresh = p == null;
    if (fresh) {
      if (series.size() + imported.size() >= maxSeries) {
        telemetry.promDroppedSeriesCounter().incrementAndGet();
        return;
      }
      ObserverSpec spec = PromSeries.observer(n);
      if (spec == null) {
        // a state without settings: the defaults of the instance that wrote it
        spec = ObserverSpec.defaults(kind == PromKind.SUMMARY ? ObserverSpec.Kind.SUMMARY
            : ObserverSpec.Kind.NATIVE);
      }
      FamilyNames.Family f = names.acquire(kind, family, family);
      long ttl = n.path("ttl_ms").asLong(ttlMs);
      p = new PromSeries(f, labels(labels), rawName, kind, ttl > 0 ? ttl : ttlMs,
          n.hasNonNull("help") ? n.get("help").asText() : null, spec);
      try {
        p.importFrom(n, true);
      } catch (RuntimeException e) {
        names.release(f);
        throw e;
      }
      imported.put(ik, p);
      return;
    }
    p.importFrom(n, false);
  }

  private static Labels labels(Map<String, String> m) {
    Labels.Builder b = Labels.builder();
    m.forEach(b::label);
    return b.build();
  }

  /** A series handed over by the previous instance, until it expires. */
  private record ImportedKey(PromKind kind, String family, Map<String, String> labels) {
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
    return labels(tags, Map.of(), false, PromKind.GAUGE);
  }

  /**
   * A series' labels: its tags ({@code k:v} is {@code k="v"}, a bare tag {@code k="true"}, a name
   * given twice joins its values with {@code ,}) and the mapping's labels, which win over a tag
   * of the same name unless the mapping honours labels.
   */
  static Labels labels(List<String> tags, Map<String, String> mapped, boolean honorLabels,
      PromKind kind) {
    if (tags.isEmpty() && mapped.isEmpty()) {
      return Labels.EMPTY;
    }
    Map<String, String> m = new TreeMap<>();
    for (String t : tags) {
      int colon = t.indexOf(':');
      String k = PromNames.labelName(colon < 0 ? t : t.substring(0, colon));
      String v = colon < 0 ? "true" : t.substring(colon + 1);
      m.merge(k, v, (a, b) -> a + "," + b);
    }
    mapped.forEach((k, v) -> {
      if (!(honorLabels && m.containsKey(k))) {
        m.put(k, v);
      }
    });
    if (kind == PromKind.HISTOGRAM && m.containsKey("le")) {
      m.put("tag_le", m.remove("le"));
    }
    if (kind == PromKind.SUMMARY && m.containsKey("quantile")) {
      m.put("tag_quantile", m.remove("quantile"));
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
    for (PromSeries p : imported.values()) {
      byFamily.computeIfAbsent(p.family.name(), f -> new ArrayList<>()).add(p);
    }
    long now = lastMs;
    List<MetricSnapshot> out = new ArrayList<>();
    for (List<PromSeries> members : byFamily.values()) {
      try {
        out.add(family(members, now));
      } catch (RuntimeException e) {
        for (PromSeries p : members) {
          if (!p.reportedLeftOut) {
            p.reportedLeftOut = true;
            telemetry.leftOut(SeriesLeftOut.FAILED, OUTPUT, p.kind.name().toLowerCase(
                java.util.Locale.ROOT) + " " + p.rawName + " (" + p.family.name() + ")", e);
          }
        }
      }
    }
    addTelemetry(out);
    return new MetricSnapshots(out);
  }

  private MetricSnapshot family(List<PromSeries> members, long nowMs) {
    FamilyNames.Family f = members.get(0).family;
    // latest first, so that of points that cannot add up the one updated last is shown
    members.sort(java.util.Comparator.comparingLong((PromSeries p) -> -p.updatedMs)
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
        telemetry.leftOut(SeriesLeftOut.LAYOUT_CONFLICT, OUTPUT, p.kind.name().toLowerCase(
            java.util.Locale.ROOT) + " " + p.rawName + " (" + f.name() + p.labels + ")", null);
      }
    }
    String help = members.get(0).help != null ? members.get(0).help
        : f.type() == PromKind.UNTYPED ? "udsink counter"
        : "udsink " + f.type().name().toLowerCase(java.util.Locale.ROOT);
    MetricMetadata meta = new MetricMetadata(f.name(), help);
    switch (f.type()) {
      case COUNTER: {
        List<CounterDataPointSnapshot> dp = new ArrayList<>();
        points.values().forEach(p -> dp.add(new CounterDataPointSnapshot(p.value, p.labels,
            null, 0)));
        return new CounterSnapshot(meta, dp);
      }
      case UNTYPED: {
        List<UnknownSnapshot.UnknownDataPointSnapshot> dp = new ArrayList<>();
        points.values().forEach(p -> dp.add(new UnknownSnapshot.UnknownDataPointSnapshot(p.value,
            p.labels, null)));
        return new UnknownSnapshot(meta, dp);
      }
      case GAUGE:
      case SET: {
        List<GaugeDataPointSnapshot> dp = new ArrayList<>();
        points.values().forEach(p -> dp.add(new GaugeDataPointSnapshot(p.value, p.labels,
            null)));
        return new GaugeSnapshot(meta, dp);
      }
      case HISTOGRAM: {
        List<HistogramSnapshot.HistogramDataPointSnapshot> dp = new ArrayList<>();
        for (PromSeries p : points.values()) {
          dp.add(histogramPoint(p));
        }
        return new HistogramSnapshot(meta, dp);
      }
      default: {
        List<SummaryDataPointSnapshot> dp = new ArrayList<>();
        for (PromSeries p : points.values()) {
          List<Quantile> qs = new ArrayList<>();
          for (ObserverSpec.Quantile q : p.quantiles()) {
            double v = p.quantile(q.quantile());
            if (Double.isFinite(v)) {
              qs.add(new Quantile(q.quantile(), v));
            }
          }
          dp.add(new SummaryDataPointSnapshot(p.count, p.sum, Quantiles.of(qs), p.labels,
              Exemplars.EMPTY, 0));
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
      return new HistogramSnapshot.HistogramDataPointSnapshot(classic, p.sum, p.labels,
          Exemplars.EMPTY, 0);
    }
    NativeHistogram h = p.nativeBuckets;
    return new HistogramSnapshot.HistogramDataPointSnapshot(classic, h.schema(), h.zeroCount(),
        NativeHistogram.ZERO_THRESHOLD, nativeBuckets(h.positiveBuckets()),
        nativeBuckets(h.negativeBuckets()), p.sum, p.labels, Exemplars.EMPTY, 0);
  }

  private static NativeHistogramBuckets nativeBuckets(long[][] b) {
    int[] idx = new int[b[0].length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = (int) b[0][i];
    }
    return NativeHistogramBuckets.of(idx, b[1]);
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
    List<CounterDataPointSnapshot> leftOut = new ArrayList<>();
    for (SeriesLeftOut r : SeriesLeftOut.values()) {
      leftOut.add(new CounterDataPointSnapshot(telemetry.shown("series_errors/" + r.label(),
          telemetry.seriesLeftOut(r)), Labels.of("reason", r.label()), null, 0));
    }
    out.add(new CounterSnapshot(new MetricMetadata("udsink_series_errors",
        "Series an output left out, by reason (each series' name is logged once)"), leftOut));
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
    for (OutputCount c : OutputCount.values()) {
      List<CounterDataPointSnapshot> dp = new ArrayList<>();
      for (OutputWorker w : workers) {
        Long v = w.output().counts().get(c);
        if (v != null) {
          dp.add(new CounterDataPointSnapshot(telemetry.shown("output_" + c.metric() + "/"
              + w.output().name(), v), Labels.of("output", w.output().name()), null, 0));
        }
      }
      if (!dp.isEmpty()) {
        out.add(new CounterSnapshot(new MetricMetadata("udsink_output_" + c.metric(),
            c.help()), dp));
      }
    }
    MapperRef ref = mapping;
    if (ref != null && ref.get().fromFile()) {
      out.add(new CounterSnapshot(new MetricMetadata("udsink_mapping_reloads",
          "Reloads of the mapping file, by outcome (a failed one keeps the rules in force)"),
          List.of(new CounterDataPointSnapshot(ref.reloads(), Labels.of("outcome", "success"),
              null, 0), new CounterDataPointSnapshot(ref.failedReloads(),
              Labels.of("outcome", "failure"), null, 0))));
      out.add(gauge("udsink_mapping_rules", "Rules of the mapping file in force",
          ref.get().ruleCount()));
    }
    // datagrams by sender uid: those of uids handed over by an earlier instance too
    Map<String, Double> byUid = new TreeMap<>();
    telemetry.datagramsByUid().forEach((uid, n) -> byUid.put(uid, (double) n));
    telemetry.importedKeys("datagrams_by_uid/").forEach(uid -> byUid.putIfAbsent(uid, 0.0));
    List<CounterDataPointSnapshot> uids = new ArrayList<>();
    byUid.forEach((uid, n) -> uids.add(new CounterDataPointSnapshot(
        telemetry.shown("datagrams_by_uid/" + uid, n), Labels.of("uid", uid), null, 0)));
    out.add(new CounterSnapshot(new MetricMetadata("udsink_datagrams_by_uid",
        "Datagrams by the sender's uid (the first 64 uids; later ones as \"other\", datagrams "
            + "without credentials as \"unknown\")"), uids));
    List<GaugeDataPointSnapshot> last = new ArrayList<>();
    List<GaugeDataPointSnapshot> max = new ArrayList<>();
    for (io.udsink.collector.loop.SocketStats st : telemetry.sockets()) {
      last.add(new GaugeDataPointSnapshot(st.queueLast(), Labels.of("socket", st.name()), null));
      max.add(new GaugeDataPointSnapshot(st.queueMax(), Labels.of("socket", st.name()), null));
    }
    out.add(new GaugeSnapshot(new MetricMetadata("udsink_socket_queue_datagrams",
        "Datagrams the socket's receive queue held at the last receive before the last flush"),
        last));
    out.add(new GaugeSnapshot(new MetricMetadata("udsink_socket_queue_datagrams_max",
        "Most datagrams a receive found queued on the socket in the last flush interval"), max));
    if (telemetry.maxDgramQlen() >= 0) {
      out.add(gauge("udsink_max_dgram_qlen", "The kernel's net.unix.max_dgram_qlen: a socket "
          + "holds one datagram more, then senders block or get EAGAIN",
          telemetry.maxDgramQlen()));
    }
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
