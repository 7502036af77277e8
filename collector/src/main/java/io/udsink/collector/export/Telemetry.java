package io.udsink.collector.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.loop.LoopStats;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.loop.SenderStats;
import io.udsink.collector.loop.SocketStats;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.parse.ParseError;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.DoubleSupplier;

/**
 * udsink's view of itself, read through {@link #snapshot()}: one point per value of every
 * {@link TelemetryMetric}. Each value has one owner that writes it, and is only read here:
 *
 * <ul>
 *   <li>the receive loop: datagrams, bytes, truncations, errors and queue depth per socket,
 *       datagrams by sender uid, its own errors;</li>
 *   <li>the aggregation: lines, parse errors and drops, as of the last interval handed to the
 *       outputs ({@link #onInterval}, whatever the outputs do);</li>
 *   <li>each output's worker, read live, so that a stuck output shows while it is stuck;</li>
 *   <li>sources an output registers ({@link #source}) for what only it knows;</li>
 *   <li>this class: series an output left out ({@link #leftOut}).</li>
 * </ul>
 *
 * After a takeover, every counter continues from what the earlier instance had counted.
 */
public final class Telemetry {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Telemetry.class);
  private static final int MAX_LOGGED_LEFT_OUT = 1000;

  private final String version;
  private volatile long[] counters = new long[Counter.values().length];
  private volatile long[] parseErrors = new long[ParseError.values().length];
  private volatile long liveSeries;
  private final AtomicLong flushes = new AtomicLong();
  private volatile List<OutputWorker> workers = List.of();
  private volatile List<SocketStats> sockets = List.of();
  private volatile SenderStats senders;
  private volatile LoopStats loop;
  private volatile int maxDgramQlen = -1;
  private volatile MapperRef mapping;
  private final Map<TelemetryMetric, List<DoubleSupplier>> sources = new ConcurrentHashMap<>();
  private final AtomicLongArray seriesLeftOut = new AtomicLongArray(SeriesLeftOut.values().length);

  /** Names already logged as left out: each once, up to a bound. */
  private final Set<String> loggedLeftOut = ConcurrentHashMap.newKeySet();

  /** What an earlier instance had counted, when this one took over from it: added when shown. */
  private volatile Map<String, Double> base = Map.of();

  /** Telemetry of a build without a version. */
  public Telemetry() {
    this("unknown");
  }

  /**
   * Creates the telemetry.
   *
   * @param version shown by {@link TelemetryMetric#BUILD}
   */
  public Telemetry(String version) {
    this.version = version;
  }

  /** The counter of the catalogue that shows an aggregation counter. */
  static TelemetryMetric metricOf(Counter c) {
    return switch (c) {
      case LINES -> TelemetryMetric.LINES;
      case DROPPED_SERIES -> TelemetryMetric.DROPPED_SAMPLES_MAX_SERIES;
      case MAPPING_DROPPED -> TelemetryMetric.MAPPING_DROPPED_SAMPLES;
      case EVENTS -> TelemetryMetric.EVENTS;
      case SERVICE_CHECKS -> TelemetryMetric.SERVICE_CHECKS;
      case DROPPED_EVENTS -> TelemetryMetric.DROPPED_EVENTS;
      case DROPPED_TIMED -> TelemetryMetric.DROPPED_TIMESTAMPED_SAMPLES;
    };
  }

  /**
   * Shows the receive loop's own counts: per socket, by sender uid, and its errors.
   *
   * @param loop the loop
   * @param maxDgramQlen the kernel's {@code net.unix.max_dgram_qlen}, or -1 when unknown
   */
  public void watch(ReceiveLoop loop, int maxDgramQlen) {
    this.senders = loop.senders();
    this.sockets = List.of(loop.socketStats());
    this.loop = loop.stats();
    this.maxDgramQlen = maxDgramQlen;
  }

  void watch(List<OutputWorker> outputs) {
    this.workers = List.copyOf(outputs);
  }

  /**
   * Shows the mapping file's rule count and reloads.
   *
   * @param ref the mapper in force
   */
  public void showMapping(MapperRef ref) {
    this.mapping = ref;
  }

  /**
   * Adds a value only its owner knows: several sources of one metric without labels add up.
   *
   * @param metric a metric without labels
   * @param value read at every snapshot
   */
  public void source(TelemetryMetric metric, DoubleSupplier value) {
    if (!metric.labels().isEmpty()) {
      throw new IllegalArgumentException(metric + " has labels");
    }
    sources.computeIfAbsent(metric, m -> new CopyOnWriteArrayList<>()).add(value);
  }

  /** Takes the aggregation's cumulative counters from an interval. Called by the flusher. */
  public void onInterval(Interval iv) {
    counters = iv.counters();
    parseErrors = iv.parseErrors();
    liveSeries = iv.series().length;
    flushes.incrementAndGet();
  }

  /**
   * Counts a series an output left out, and logs its name the first time (up to 1,000 names;
   * after that they are only counted).
   *
   * @param reason why
   * @param output the output's name
   * @param series the series, as its type and name
   * @param cause the error, or null
   */
  public void leftOut(SeriesLeftOut reason, String output, String series, Throwable cause) {
    seriesLeftOut.incrementAndGet(reason.ordinal());
    String key = reason.label() + "/" + output + "/" + series;
    if (loggedLeftOut.size() < MAX_LOGGED_LEFT_OUT && loggedLeftOut.add(key)) {
      if (cause != null) {
        LOG.error(
            "series {} left out of {} ({}): {}",
            series,
            output,
            reason.label(),
            cause.toString(),
            cause);
      } else {
        LOG.warn("series {} left out of {} ({})", series, output, reason.label());
      }
      if (loggedLeftOut.size() == MAX_LOGGED_LEFT_OUT) {
        LOG.warn(
            "{} series logged as left out; further ones are only counted "
                + "(udsink_series_errors_total)",
            MAX_LOGGED_LEFT_OUT);
      }
    }
  }

  /** The outputs' workers. */
  public List<OutputWorker> workers() {
    return workers;
  }

  /** The sockets' counters, empty before {@link #watch}. */
  public List<SocketStats> sockets() {
    return sockets;
  }

  /** Intervals handed to the outputs by this instance. */
  public long flushes() {
    return flushes.get();
  }

  /**
   * Every value of the catalogue now, in the catalogue's order; counters include what an
   * instance taken over from had counted.
   */
  public List<TelemetryPoint> snapshot() {
    return snapshot(true);
  }

  /**
   * As {@link #snapshot()}, with counters of this instance only: for an output that reports
   * what each counter grew by, which an earlier instance already reported.
   */
  public List<TelemetryPoint> ownSnapshot() {
    return snapshot(false);
  }

  private List<TelemetryPoint> snapshot(boolean withBase) {
    Builder b = new Builder(withBase ? base : Map.of());
    long datagrams = 0;
    long bytes = 0;
    long truncated = 0;
    for (SocketStats s : sockets) {
      datagrams += s.datagrams();
      bytes += s.bytes();
      truncated += s.truncated();
    }
    b.add(TelemetryMetric.DATAGRAMS, datagrams);
    b.add(TelemetryMetric.BYTES, bytes);
    b.add(TelemetryMetric.TRUNCATED_DATAGRAMS, truncated);
    for (SocketStats s : sockets) {
      b.add(TelemetryMetric.SOCKET_RECEIVE_ERRORS, s.errors(), s.name());
    }
    LoopStats l = loop;
    b.add(TelemetryMetric.LOOP_ERRORS, l == null ? 0 : l.handlerErrors(), "handler");
    b.add(TelemetryMetric.LOOP_ERRORS, l == null ? 0 : l.loopErrors(), "loop");
    b.add(TelemetryMetric.LOOP_PASSES, l == null ? 0 : l.iterations());
    b.add(TelemetryMetric.LOOP_WAITS, l == null ? 0 : l.blockingSelects(), "blocking");
    b.add(TelemetryMetric.LOOP_WAITS, l == null ? 0 : l.nonBlockingSelects(), "nonblocking");
    b.add(TelemetryMetric.LOOP_EMPTY_READS, l == null ? 0 : l.emptyReads());
    long[] c = counters;
    for (Counter k : Counter.values()) {
      b.add(metricOf(k), c[k.ordinal()]);
      if (k == Counter.LINES) {
        long[] p = parseErrors;
        for (ParseError r : ParseError.values()) {
          b.add(TelemetryMetric.PARSE_ERRORS, p[r.ordinal()], r.label());
        }
      }
    }
    for (Map.Entry<String, Long> e : datagramsByUid().entrySet()) {
      b.add(TelemetryMetric.DATAGRAMS_BY_UID, e.getValue(), e.getKey());
    }
    b.add(TelemetryMetric.FLUSHES, flushes.get());
    b.add(TelemetryMetric.INTERVAL_SERIES, liveSeries);
    for (SocketStats s : sockets) {
      b.add(TelemetryMetric.SOCKET_QUEUE_DATAGRAMS, s.queueLast(), s.name());
    }
    for (SocketStats s : sockets) {
      b.add(TelemetryMetric.SOCKET_QUEUE_DATAGRAMS_MAX, s.queueMax(), s.name());
    }
    if (maxDgramQlen >= 0) {
      b.add(TelemetryMetric.MAX_DGRAM_QLEN, maxDgramQlen);
    }
    List<OutputWorker> ws = workers;
    for (OutputWorker w : ws) {
      b.add(TelemetryMetric.OUTPUT_WRITES, w.writes(), w.output().name());
    }
    for (OutputWorker w : ws) {
      b.add(TelemetryMetric.OUTPUT_ERRORS, w.errors(), w.output().name());
    }
    for (OutputWorker w : ws) {
      b.add(TelemetryMetric.OUTPUT_MERGED_INTERVALS, w.mergedIntervals(), w.output().name());
    }
    for (OutputWorker w : ws) {
      b.add(TelemetryMetric.OUTPUT_MERGE_DROPPED_SAMPLES, w.mergeDropped(), w.output().name());
    }
    for (OutputWorker w : ws) {
      b.add(TelemetryMetric.OUTPUT_BACKLOG_INTERVALS, w.backlogIntervals(), w.output().name());
    }
    for (OutputWorker w : ws) {
      b.add(
          TelemetryMetric.OUTPUT_OLDEST_UNWRITTEN_SECONDS,
          w.oldestUnwrittenSeconds(),
          w.output().name());
    }
    for (OutputWorker w : ws) {
      w.output().counts().forEach((m, v) -> b.add(m, v, w.output().name()));
    }
    for (SeriesLeftOut r : SeriesLeftOut.values()) {
      b.add(TelemetryMetric.SERIES_ERRORS, seriesLeftOut.get(r.ordinal()), r.label());
    }
    for (TelemetryMetric m :
        List.of(
            TelemetryMetric.WORKERS,
            TelemetryMetric.WORKER_WAITS,
            TelemetryMetric.ORIGIN_UNRESOLVED,
            TelemetryMetric.PROMETHEUS_DROPPED_SERIES,
            TelemetryMetric.PROMETHEUS_NEGATIVE_INCREMENTS,
            TelemetryMetric.PROMETHEUS_SERIES)) {
      List<DoubleSupplier> s = sources.get(m);
      if (s != null || m.type() == TelemetryMetric.Type.COUNTER) {
        double v = 0;
        for (DoubleSupplier d : s == null ? List.<DoubleSupplier>of() : s) {
          v += d.getAsDouble();
        }
        b.add(m, v);
      }
    }
    MapperRef ref = mapping;
    if (ref != null && ref.get().fromFile()) {
      b.add(TelemetryMetric.MAPPING_RELOADS, ref.reloads(), "success");
      b.add(TelemetryMetric.MAPPING_RELOADS, ref.failedReloads(), "failure");
      b.add(TelemetryMetric.MAPPING_RULES, ref.get().ruleCount());
      long[] cache = ref.cacheLookups();
      b.add(TelemetryMetric.MAPPING_CACHE_LOOKUPS, cache[0], "hit");
      b.add(TelemetryMetric.MAPPING_CACHE_LOOKUPS, cache[1], "miss");
    }
    b.add(TelemetryMetric.BUILD, 1, version, System.getProperty("java.version"));
    return b.done();
  }

  /** Collects points, adding what an earlier instance had counted, and keeping its labels. */
  private static final class Builder {
    private final Map<TelemetryMetric, List<TelemetryPoint>> points =
        new EnumMap<>(TelemetryMetric.class);
    private final Map<String, Double> base;

    Builder(Map<String, Double> base) {
      this.base = base;
    }

    void add(TelemetryMetric m, double own, String... labels) {
      TelemetryPoint p = new TelemetryPoint(m, List.of(labels), own);
      if (m.type() == TelemetryMetric.Type.COUNTER) {
        p = new TelemetryPoint(m, p.labels(), own + base.getOrDefault(p.key(), 0.0));
      }
      points.computeIfAbsent(m, k -> new ArrayList<>()).add(p);
    }

    List<TelemetryPoint> done() {
      // counters of labels only the earlier instance had (a uid, an output) continue too
      for (Map.Entry<String, Double> e : base.entrySet()) {
        for (TelemetryMetric m : TelemetryMetric.values()) {
          if (m.type() != TelemetryMetric.Type.COUNTER
              || m.labels().size() != 1
              || !e.getKey().startsWith(m.metric() + "/")) {
            continue;
          }
          String label = e.getKey().substring(m.metric().length() + 1);
          List<TelemetryPoint> have = points.computeIfAbsent(m, k -> new ArrayList<>());
          if (have.stream().noneMatch(p -> p.labels().get(0).equals(label))) {
            have.add(new TelemetryPoint(m, List.of(label), e.getValue()));
          }
        }
      }
      List<TelemetryPoint> all = new ArrayList<>();
      points.values().forEach(all::addAll);
      return all;
    }
  }

  /**
   * One value of the catalogue now, the sum over its points whose labels start with the given
   * ones (a test's and the command line's view).
   *
   * @param metric the metric
   * @param labels leading label values to match; none for every point
   * @return the sum
   */
  public double value(TelemetryMetric metric, String... labels) {
    double v = 0;
    for (TelemetryPoint p : snapshot()) {
      if (p.metric() == metric && p.labels().subList(0, labels.length).equals(List.of(labels))) {
        v += p.value();
      }
    }
    return v;
  }

  /**
   * Each uid's datagrams as they are labelled ({@code 1000}, {@code other}, {@code unknown}).
   */
  private Map<String, Long> datagramsByUid() {
    SenderStats s = senders;
    Map<String, Long> m = new TreeMap<>();
    if (s == null) {
      return m;
    }
    int n = s.size();
    for (int i = 0; i < n; i++) {
      m.put(Integer.toUnsignedString(s.uid(i)), s.count(i));
    }
    if (s.count(SenderStats.OTHER) > 0) {
      m.put("other", s.count(SenderStats.OTHER));
    }
    if (s.count(SenderStats.UNKNOWN) > 0) {
      m.put("unknown", s.count(SenderStats.UNKNOWN));
    }
    return m;
  }

  /** Every counter as shown, for the instance taking over. */
  public ObjectNode exportBase() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (TelemetryPoint p : snapshot()) {
      if (p.metric().type() == TelemetryMetric.Type.COUNTER) {
        node.put(p.key(), p.value());
      }
    }
    return node;
  }

  /** Continues from what an earlier instance had counted. */
  public void importBase(JsonNode node) {
    Map<String, Double> b = new java.util.HashMap<>(base);
    node.fields().forEachRemaining(e -> b.merge(e.getKey(), e.getValue().asDouble(), Double::sum));
    base = Map.copyOf(b);
  }
}
