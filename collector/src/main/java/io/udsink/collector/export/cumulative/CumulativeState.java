package io.udsink.collector.export.cumulative;

import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.SeriesLeftOut;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.mapping.Mapped;
import io.udsink.collector.parse.MetricType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cumulative series that {@code /metrics} and remote write show: series updated within the
 * TTL, as Prometheus sees them, beside udsink's own metrics.
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
 * its output's worker; read by the HTTP server or the remote-write encoder; synchronized. Each
 * remote-write receiver has a state of its own. Renders through {@link Families}; hands over
 * through {@link StateCodec}.
 */
public final class CumulativeState {
  /** The output's name in telemetry. */
  static final String OUTPUT = "prometheus";

  final long ttlMs;
  final int maxSeries;
  final Telemetry telemetry;
  final Map<Key, PromSeries> series = new HashMap<>();
  final Map<ImportedKey, PromSeries> imported = new HashMap<>();
  final FamilyNames names = new FamilyNames();
  final AtomicLong droppedSeries = new AtomicLong();
  private final AtomicLong negativeIncrements = new AtomicLong();
  private long lastMs;

  /**
   * Creates the state. Its families never take a name of udsink's own metrics
   * ({@link TelemetryMetric}) or of the JVM's.
   *
   * @param ttlMs series not updated for this long are dropped
   * @param maxSeries most series kept
   * @param telemetry udsink's own metrics: shown beside the series, and told what this state
   *     drops
   */
  public CumulativeState(long ttlMs, int maxSeries, Telemetry telemetry) {
    this.ttlMs = ttlMs;
    this.maxSeries = maxSeries;
    this.telemetry = telemetry;
    telemetry.source(TelemetryMetric.PROMETHEUS_DROPPED_SERIES, droppedSeries::get);
    telemetry.source(TelemetryMetric.PROMETHEUS_NEGATIVE_INCREMENTS, negativeIncrements::get);
    for (TelemetryMetric m : TelemetryMetric.values()) {
      switch (m.type()) {
        case COUNTER -> names.reserve(PromKind.COUNTER, m.prometheusName());
        case GAUGE -> names.reserve(PromKind.GAUGE, m.prometheusName());
        case INFO -> {
          names.reserve(PromKind.GAUGE, m.prometheusName());
          names.reserve(PromKind.GAUGE, m.prometheusName() + "_info");
        }
      }
    }
    for (String f : JvmFamilies.ALL) {
      String kind = f.substring(0, f.indexOf(' '));
      String name = f.substring(f.indexOf(' ') + 1);
      PromKind t =
          switch (kind) {
            case "COUNTER" -> PromKind.COUNTER;
            case "HISTOGRAM" -> PromKind.HISTOGRAM;
            case "SUMMARY" -> PromKind.SUMMARY;
            default -> PromKind.GAUGE;
          };
      names.reserve(t, name);
      if (kind.equals("INFO")) {
        names.reserve(PromKind.GAUGE, name + "_info");
      }
    }
  }

  /** A series handed over by the previous instance, until it expires. */
  record ImportedKey(PromKind kind, String family, Map<String, String> labels) {}

  static Labels labels(Map<String, String> m) {
    Labels.Builder b = Labels.builder();
    m.forEach(b::label);
    return b.build();
  }

  /** A series of the intervals, under what the mapping made of it. */
  record Key(MetricType type, String name, List<String> tags, Mapped mapped) {
    // looked up for every series of every interval: the hash leaves out the mapping's result
    // (a function of name and tags, apart from a reload) and its observer settings
    @Override
    public int hashCode() {
      // each part mixed: names and tags that differ in a digit or two (s1, s2 ...) would
      // otherwise cancel out into the same sum and pile up in a few buckets
      int h = io.udsink.collector.util.Hashing.mix(name.hashCode());
      for (String t : tags) {
        h = 31 * h + io.udsink.collector.util.Hashing.mix(t.hashCode());
      }
      return 31 * h + type.ordinal();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && k.type == type
          && k.name.equals(name)
          && k.tags.equals(tags)
          && java.util.Objects.equals(k.mapped, mapped);
    }
  }

  private static final java.util.Comparator<Series> APPLY_ORDER =
      java.util.Comparator.comparing(Series::type).thenComparing(Series::name);

  /**
   * A sample with its own time as a receiver should store it: its family's point right after the
   * sample was added, at the sample's time.
   *
   * @param snapshot the family with that one point
   * @param timestampMs the sample's time
   */
  public record TimedPoint(MetricSnapshot snapshot, long timestampMs) {}

  /**
   * Adds an interval's series: first the samples with their own time, oldest first, then the
   * interval's series, so that a gauge shows the latest value. A series that cannot be added (a
   * bug) is left out and counted; it never costs the others.
   *
   * @return each sample with its own time, as its family's point after it (empty for most
   *     intervals)
   */
  public synchronized List<TimedPoint> apply(Interval iv) {
    lastMs = Math.max(lastMs, iv.endMs());
    expire(iv.endMs()); // first, so that expired series make room for new ones
    List<TimedPoint> points = List.of();
    if (!iv.timed().isEmpty()) {
      List<Series> timed = new ArrayList<>(iv.timed());
      timed.sort(java.util.Comparator.comparingLong(Series::timestampMs));
      points = new ArrayList<>(timed.size());
      for (Series s : timed) {
        try {
          PromSeries p = applyOne(s, iv.endMs());
          if (p != null) {
            points.add(new TimedPoint(Families.point(p), s.timestampMs()));
          }
        } catch (RuntimeException e) {
          telemetry.leftOut(SeriesLeftOut.FAILED, OUTPUT, s.type().label() + " " + s.name(), e);
        }
      }
    }
    // series already shown take their interval in any order; new ones in a fixed order, so that
    // which type keeps a contested name does not depend on hashing
    List<Series> fresh = new ArrayList<>();
    for (Series s : iv.series()) {
      PromSeries p = series.get(new Key(s.type(), s.name(), s.tags(), s.mapped()));
      if (p == null) {
        fresh.add(s);
        continue;
      }
      try {
        long negative = p.apply(s, iv.endMs());
        if (negative > 0) {
          negativeIncrements.addAndGet(negative);
        }
      } catch (RuntimeException e) {
        telemetry.leftOut(SeriesLeftOut.FAILED, OUTPUT, s.type().label() + " " + s.name(), e);
      }
    }
    fresh.sort(APPLY_ORDER);
    for (Series s : fresh) {
      try {
        applyOne(s, iv.endMs());
      } catch (RuntimeException e) {
        telemetry.leftOut(SeriesLeftOut.FAILED, OUTPUT, s.type().label() + " " + s.name(), e);
      }
    }
    return points;
  }

  /** Adds one series; the series it went into, or null when it was not taken. */
  private PromSeries applyOne(Series s, long endMs) {
    Mapped m = s.mapped();
    Key k = new Key(s.type(), s.name(), s.tags(), m);
    PromSeries p = series.get(k);
    if (p == null) {
      if (s.type() == MetricType.COUNTER && s.increase() == 0 && s.negativeSamples() > 0) {
        // only negative increments: no counter to show, as statsd_exporter makes none
        negativeIncrements.addAndGet(s.negativeSamples());
        return null;
      }
      if (series.size() >= maxSeries) {
        droppedSeries.incrementAndGet();
        return null;
      }
      p = create(s, m, null);
      series.put(k, p);
    }
    long negative = p.apply(s, endMs);
    if (negative > 0) {
      negativeIncrements.addAndGet(negative);
    }
    return p;
  }

  PromSeries create(Series s, Mapped m, String preferredFamily) {
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
    return new PromSeries(
        f, labels, s.name(), kind, m.ttlMs() > 0 ? m.ttlMs() : ttlMs, m.help(), m.observer());
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
   * A series' labels: its tags ({@code k:v} is {@code k="v"}; a tag without a key or a value is
   * left out, as statsd_exporter leaves it out; of tags whose names become one label name, the
   * last in byte order wins) and the mapping's labels, which win over a tag of the same name
   * unless the mapping honours labels.
   */
  static Labels labels(
      List<String> tags, Map<String, String> mapped, boolean honorLabels, PromKind kind) {
    if (tags.isEmpty() && mapped.isEmpty()) {
      return Labels.EMPTY;
    }
    Map<String, String> m = new TreeMap<>();
    for (String t : tags) {
      int colon = t.indexOf(':');
      if (colon <= 0 || colon == t.length() - 1) {
        continue;
      }
      m.put(PromNames.labelName(t.substring(0, colon)), t.substring(colon + 1));
    }
    mapped.forEach(
        (k, v) -> {
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
        out.add(Families.render(members, now, telemetry));
      } catch (RuntimeException e) {
        for (PromSeries p : members) {
          if (!p.reportedLeftOut) {
            p.reportedLeftOut = true;
            telemetry.leftOut(
                SeriesLeftOut.FAILED,
                OUTPUT,
                p.kind.name().toLowerCase(java.util.Locale.ROOT)
                    + " "
                    + p.rawName
                    + " ("
                    + p.family.name()
                    + ")",
                e);
          }
        }
      }
    }
    out.addAll(TelemetrySnapshots.render(telemetry.snapshot()));
    return new MetricSnapshots(out);
  }

  /**
   * The cumulative state, for the instance that takes over from this one ({@link StateCodec}).
   *
   * @return the state as JSON
   */
  public synchronized byte[] exportState() {
    return StateCodec.write(this);
  }

  /**
   * The states of an instance, for the instance that takes over from it: {@code /metrics}'s
   * (when there is one), each remote-write receiver's, and udsink's own counters.
   *
   * @param metrics the state {@code /metrics} shows, or null
   * @param telemetry udsink's own counters
   * @param remote each remote-write receiver's state, by its queue key
   * @return the states as JSON
   */
  public static byte[] exportStates(
      CumulativeState metrics, Telemetry telemetry, Map<String, CumulativeState> remote) {
    if (metrics == null) {
      return StateCodec.write(null, telemetry, remote);
    }
    synchronized (metrics) {
      return StateCodec.write(metrics, telemetry, remote);
    }
  }

  /**
   * Continues the states of an earlier instance ({@link #exportStates}, or an older instance's
   * {@link #exportState()}).
   *
   * @param metrics the state {@code /metrics} shows, or null
   * @param telemetry udsink's own counters
   * @param remote each remote-write receiver's state, by its queue key
   * @param state the handed-over JSON, read as a stream
   * @throws IOException when it does not parse
   */
  public static void importStates(
      CumulativeState metrics,
      Telemetry telemetry,
      Map<String, CumulativeState> remote,
      java.io.InputStream state)
      throws IOException {
    if (metrics == null) {
      StateCodec.read(null, telemetry, remote, state);
      return;
    }
    synchronized (metrics) {
      StateCodec.read(metrics, telemetry, remote, state);
    }
  }

  /**
   * Continues from an earlier instance's state ({@link StateCodec#read}).
   *
   * @param state what {@link #exportState()} gave
   * @throws IOException when the state does not parse
   */
  public synchronized void importState(byte[] state) throws IOException {
    importState(new java.io.ByteArrayInputStream(state));
  }

  /**
   * Continues from an earlier instance's state, read as a stream ({@link StateCodec#read}).
   *
   * @param state what {@link #exportState()} gave
   * @throws IOException when it does not parse
   */
  public synchronized void importState(java.io.InputStream state) throws IOException {
    StateCodec.read(this, state);
  }
}
