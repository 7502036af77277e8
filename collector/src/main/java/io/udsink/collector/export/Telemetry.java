package io.udsink.collector.export;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.parse.ParseError;

/**
 * udsink's view of itself for {@code /metrics}: the loop's {@link Counter}s and parse errors as
 * of the last interval handed to the outputs (updated by the flusher, whatever the outputs do),
 * and each output's state, read live from its worker, so that a stuck output shows while it is
 * stuck.
 */
public final class Telemetry {
  private volatile long[] counters = new long[Counter.values().length];
  private volatile long[] parseErrors = new long[ParseError.values().length];
  private volatile long liveSeries;
  private volatile List<OutputWorker> workers = List.of();
  private final AtomicLong intervals = new AtomicLong();
  private final AtomicLong promDroppedSeries = new AtomicLong();
  private final AtomicLong promNegativeIncrements = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicLongArray seriesLeftOut =
      new java.util.concurrent.atomic.AtomicLongArray(SeriesLeftOut.values().length);
  /** Names already logged as left out: each once, up to a bound. */
  private final java.util.Set<String> loggedLeftOut =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final int MAX_LOGGED_LEFT_OUT = 1000;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Telemetry.class);

  /** Series the Prometheus state did not take because --max-series were shown. */
  public AtomicLong promDroppedSeriesCounter() {
    return promDroppedSeries;
  }

  /** Negative counter increments Prometheus did not add (a counter only grows). */
  public AtomicLong promNegativeIncrementsCounter() {
    return promNegativeIncrements;
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
    if (loggedLeftOut.size() < MAX_LOGGED_LEFT_OUT) {
      if (loggedLeftOut.add(key)) {
        if (cause != null) {
          LOG.error("series {} left out of {} ({}): {}", series, output, reason.label(),
              cause.toString(), cause);
        } else {
          LOG.warn("series {} left out of {} ({})", series, output, reason.label());
        }
        if (loggedLeftOut.size() == MAX_LOGGED_LEFT_OUT) {
          LOG.warn("{} series logged as left out; further ones are only counted "
              + "(udsink_series_errors_total)", MAX_LOGGED_LEFT_OUT);
        }
      }
    }
  }

  /** Series left out of an output for one reason, cumulative. */
  public long seriesLeftOut(SeriesLeftOut reason) {
    return seriesLeftOut.get(reason.ordinal());
  }

  private volatile io.udsink.collector.loop.SenderStats senders;
  private volatile List<io.udsink.collector.loop.SocketStats> sockets = List.of();
  private volatile int maxDgramQlen = -1;

  /**
   * Shows the receive loop's own counts: datagrams by sender uid, and each socket's queue.
   *
   * @param loop the loop
   * @param maxDgramQlen the kernel's {@code net.unix.max_dgram_qlen}, or -1 when unknown
   */
  public void watch(io.udsink.collector.loop.ReceiveLoop loop, int maxDgramQlen) {
    this.senders = loop.senders();
    this.sockets = List.of(loop.socketStats());
    this.maxDgramQlen = maxDgramQlen;
  }

  /** Datagrams by sender uid, or null before {@link #watch}. */
  public io.udsink.collector.loop.SenderStats senders() {
    return senders;
  }

  /** The sockets' counters, empty before {@link #watch}. */
  public List<io.udsink.collector.loop.SocketStats> sockets() {
    return sockets;
  }

  /** The kernel's bound on a datagram socket's queue, or -1 when unknown. */
  public int maxDgramQlen() {
    return maxDgramQlen;
  }

  /**
   * Each uid's datagrams as {@code /metrics} labels them ({@code uid="1000"}, {@code "other"},
   * {@code "unknown"}), cumulative; those of an instance taken over from are added when shown.
   */
  public Map<String, Long> datagramsByUid() {
    io.udsink.collector.loop.SenderStats s = senders;
    Map<String, Long> m = new java.util.TreeMap<>();
    if (s == null) {
      return m;
    }
    int n = s.size();
    for (int i = 0; i < n; i++) {
      m.put(Integer.toUnsignedString(s.uid(i)), s.count(i));
    }
    if (s.count(io.udsink.collector.loop.SenderStats.OTHER) > 0) {
      m.put("other", s.count(io.udsink.collector.loop.SenderStats.OTHER));
    }
    if (s.count(io.udsink.collector.loop.SenderStats.UNKNOWN) > 0) {
      m.put("unknown", s.count(io.udsink.collector.loop.SenderStats.UNKNOWN));
    }
    return m;
  }

  /** What an earlier instance had counted, when this one took over from it: added when shown. */
  private volatile Map<String, Double> base = Map.of();

  /** Takes the loop's cumulative counters from an interval. Called by the flusher thread. */
  public void onInterval(Interval iv) {
    counters = iv.counters();
    parseErrors = iv.parseErrors();
    liveSeries = iv.series().length;
    intervals.incrementAndGet();
  }

  void watch(List<OutputWorker> outputs) {
    this.workers = List.copyOf(outputs);
  }

  /** The outputs' workers. */
  public List<OutputWorker> workers() {
    return workers;
  }

  /** A cumulative loop counter as of the last interval. */
  public long counter(Counter c) {
    return counters[c.ordinal()];
  }

  /** Cumulative parse errors of one reason as of the last interval. */
  public long parseErrors(ParseError r) {
    return parseErrors[r.ordinal()];
  }

  /** Intervals handed to the outputs. */
  public long flushes() {
    return intervals.get();
  }

  /** Series in the last interval. */
  public long liveSeries() {
    return liveSeries;
  }

  /** Series an output left out, for every reason. */
  public long seriesErrors() {
    long n = 0;
    for (SeriesLeftOut r : SeriesLeftOut.values()) {
      n += seriesLeftOut(r);
    }
    return n;
  }

  /** Negative counter increments left out of Prometheus counters. */
  public long promNegativeIncrements() {
    return promNegativeIncrements.get();
  }

  /**
   * A cumulative value as {@code /metrics} shows it: this instance's plus what the instance it
   * took over from had counted, so that no counter goes backwards across a takeover.
   *
   * @param key the telemetry metric (with its label, for example {@code parse_errors/bad_value})
   * @param own this instance's value
   * @return the value to show
   */
  public double shown(String key, double own) {
    return base.getOrDefault(key, 0.0) + own;
  }

  /** Every cumulative value {@code /metrics} shows, for the instance taking over. */
  public com.fasterxml.jackson.databind.node.ObjectNode exportBase() {
    var node = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    for (Counter c : Counter.values()) {
      node.put(c.metric(), shown(c.metric(), counter(c)));
    }
    for (ParseError r : ParseError.values()) {
      node.put("parse_errors/" + r.label(), shown("parse_errors/" + r.label(), parseErrors(r)));
    }
    node.put("flushes", shown("flushes", flushes()));
    node.put("prometheus_dropped_series",
        shown("prometheus_dropped_series", promDroppedSeries.get()));
    node.put("prometheus_negative_increments",
        shown("prometheus_negative_increments", promNegativeIncrements()));
    for (SeriesLeftOut r : SeriesLeftOut.values()) {
      node.put("series_errors/" + r.label(), shown("series_errors/" + r.label(),
          seriesLeftOut(r)));
    }
    datagramsByUid().forEach((uid, n) -> node.put("datagrams_by_uid/" + uid,
        shown("datagrams_by_uid/" + uid, n)));
    for (OutputWorker w : workers) {
      String o = "/" + w.output().name();
      node.put("output_writes" + o, shown("output_writes" + o, w.writes()));
      node.put("output_errors" + o, shown("output_errors" + o, w.errors()));
      node.put("output_merged_intervals" + o,
          shown("output_merged_intervals" + o, w.mergedIntervals()));
    }
    return node;
  }

  /** The labels of the handed-over values whose keys start with {@code prefix}. */
  public java.util.Set<String> importedKeys(String prefix) {
    java.util.Set<String> keys = new java.util.TreeSet<>();
    for (String k : base.keySet()) {
      if (k.startsWith(prefix)) {
        keys.add(k.substring(prefix.length()));
      }
    }
    return keys;
  }

  /** Continues from what an earlier instance had counted. */
  public void importBase(com.fasterxml.jackson.databind.JsonNode node) {
    Map<String, Double> b = new java.util.HashMap<>(base);
    node.fields().forEachRemaining(e -> b.merge(e.getKey(), e.getValue().asDouble(), Double::sum));
    base = Map.copyOf(b);
  }
}
