package io.udsink.collector.aggregate;

import io.udsink.collector.aggregate.Series.GaugeCell;
import io.udsink.collector.mapping.Mapped;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.parse.Event;
import io.udsink.collector.parse.MetricLine;
import io.udsink.collector.parse.MetricSink;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.ParseError;
import io.udsink.collector.parse.ParseErrorListener;
import io.udsink.collector.parse.ServiceCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Aggregates parsed lines into series for the current flush interval. Owned by the receive loop's
 * thread; {@link #takeInterval} hands the interval over and starts the next one.
 *
 * <p>A series is identified by its canonical key, built in a scratch array without allocating:
 *
 * <pre>
 *   +------+----------+------+----------+------+-----+
 *   | type | name len | name | tag1 len | tag1 | ... |   lengths: 2 bytes, big-endian
 *   +------+----------+------+----------+------+-----+   tags sorted by bytes, distinct
 * </pre>
 *
 * Only the first sample of a series in an interval allocates (the series, its strings, its key).
 */
public final class Aggregator implements MetricSink, ParseErrorListener {
  /** Most events plus service checks kept per interval. */
  public static final int MAX_EVENTS_PER_INTERVAL = 10_000;

  private final int maxSeries;
  private final MapperRef mapper;
  private final boolean observe;
  private final ParseErrorListener errorLog;
  private final long[] counters = new long[Counter.values().length];
  private final long[] parseErrors = new long[ParseError.values().length];
  private KeyTable<Series> table;
  private KeyTable<GaugeCell> gauges = new KeyTable<>(16);
  private List<Event> events = new ArrayList<>();
  private List<Series> timed = new ArrayList<>();
  private List<ServiceCheck> checks = new ArrayList<>();
  private byte[] scratch = new byte[1024];
  private long intervalStartMs;
  private long intervalNumber;
  private long sweptAt = -1;
  private final long gaugeTtlIntervals;

  /**
   * Creates an aggregator.
   *
   * @param maxSeries most series per interval, and most gauges whose last value is remembered;
   *     samples of further series are dropped and counted
   * @param gaugeTtlIntervals a gauge not updated for this many intervals forgets its last value
   * @param nowMs the start of the first interval (epoch ms)
   * @param errorLog told about every rejected line (after it is counted)
   */
  public Aggregator(
      int maxSeries, long gaugeTtlIntervals, long nowMs, ParseErrorListener errorLog) {
    this(
        maxSeries,
        gaugeTtlIntervals,
        nowMs,
        errorLog,
        MapperRef.none(ObserverSpec.defaults(ObserverSpec.Kind.NATIVE)),
        true);
  }

  /**
   * Creates an aggregator that maps names and counts observations in Prometheus buckets.
   *
   * @param maxSeries most series per interval, and most gauges whose last value is remembered
   * @param gaugeTtlIntervals a gauge not updated for this many intervals forgets its last value
   * @param nowMs the start of the first interval (epoch ms)
   * @param errorLog told about every rejected line (after it is counted)
   * @param mapper the mapping in force, read when a series is first seen in an interval
   * @param observe true when an output shows distributions to Prometheus (buckets are kept)
   */
  public Aggregator(
      int maxSeries,
      long gaugeTtlIntervals,
      long nowMs,
      ParseErrorListener errorLog,
      MapperRef mapper,
      boolean observe) {
    this.mapper = mapper;
    this.observe = observe;
    this.maxSeries = maxSeries;
    this.gaugeTtlIntervals = Math.max(1, gaugeTtlIntervals);
    this.errorLog = errorLog;
    this.intervalStartMs = nowMs;
    this.table = new KeyTable<>(256);
  }

  /** Adds to one of the loop's counters. */
  public void count(Counter c, long n) {
    counters[c.ordinal()] += n;
  }

  /** Series in the current interval. */
  public int liveSeries() {
    return table.size();
  }

  /** Gauges whose last value is remembered (for deltas). */
  public int rememberedGauges() {
    return gauges.size();
  }

  @Override
  public void onParseError(ParseError reason, byte[] line, int start, int end) {
    parseErrors[reason.ordinal()]++;
    errorLog.onParseError(reason, line, start, end);
  }

  @Override
  public void metric(MetricLine l) {
    if (l.timestampMs() != 0) {
      timed(l);
      return;
    }
    byte[] b = l.bytes();
    int tagCount = l.tagCount();
    int need = 3 + (l.nameEnd() - l.nameStart()) + 2 * tagCount;
    for (int i = 0; i < tagCount; i++) {
      need += l.tagEnd(i) - l.tagStart(i);
    }
    if (scratch.length < need) {
      scratch = new byte[Math.max(need, scratch.length * 2)];
    }
    byte[] k = scratch;
    int p = 0;
    k[p++] = (byte) l.type().ordinal();
    p = putRange(k, p, b, l.nameStart(), l.nameEnd());
    for (int i = 0; i < tagCount; i++) {
      p = putRange(k, p, b, l.tagStart(i), l.tagEnd(i));
    }
    long hash = KeyTable.hash(k, p);
    Series s = table.get(k, p, hash);
    if (s == null) {
      String[] tags = new String[tagCount];
      for (int i = 0; i < tagCount; i++) {
        tags[i] = l.tag(i);
      }
      s = create(k, p, hash, l.type(), l.name(), List.of(tags));
      if (s == null) {
        return;
      }
    }
    int n = l.valueCount();
    if (s.dropped) {
      counters[Counter.MAPPING_DROPPED.ordinal()] += n;
      return;
    }
    boolean refused = false;
    switch (l.type()) {
      case COUNTER:
        {
          double rate = l.sampleRate();
          for (int i = 0; i < n; i++) {
            refused |= !s.addCount(l.value(i) / rate);
          }
          break;
        }
      case GAUGE:
        {
          GaugeCell cell = s.cell;
          for (int i = 0; i < n; i++) {
            double v = l.isDelta(i) ? cell.value + l.value(i) : l.value(i);
            if (Double.isFinite(v)) {
              cell.value = v;
              s.samples++;
            } else {
              refused = true;
            }
          }
          cell.lastInterval = intervalNumber;
          s.value = cell.value;
          break;
        }
      case SET:
        for (int i = 0; i < n; i++) {
          int ms = l.memberStart(i);
          s.members.add(KeyTable.hash(b, ms, l.memberEnd(i) - ms));
        }
        s.samples += n;
        break;
      default:
        {
          double weight = 1 / l.sampleRate();
          for (int i = 0; i < n; i++) {
            refused |= !s.addDistribution(l.value(i), weight);
          }
          break;
        }
    }
    if (refused) {
      onParseError(ParseError.VALUE_OUT_OF_RANGE, b, l.nameStart(), l.nameEnd());
    }
  }

  private Series create(
      byte[] k, int len, long hash, MetricType type, String name, List<String> tags) {
    if (table.size() >= maxSeries) {
      counters[Counter.DROPPED_SERIES.ordinal()]++;
      return null;
    }
    GaugeCell cell = null;
    if (type == MetricType.GAUGE) {
      cell = gauges.get(k, len, hash);
      if (cell == null) {
        if (gauges.size() >= maxSeries && sweptAt != intervalNumber) {
          forgetOldGauges();
        }
        if (gauges.size() >= maxSeries) {
          counters[Counter.DROPPED_SERIES.ordinal()]++;
          return null;
        }
        cell = new GaugeCell(Arrays.copyOf(k, len), hash);
        gauges.put(cell);
      }
    }
    byte[] key = cell != null ? cell.key : Arrays.copyOf(k, len);
    Series s = new Series(key, hash, type, name, tags);
    s.cell = cell;
    s.map(mapper.get().map(name, type), observe);
    table.put(s);
    return s;
  }

  private static int putRange(byte[] k, int p, byte[] src, int s, int e) {
    int len = Math.min(e - s, 0xffff);
    k[p] = (byte) (len >>> 8);
    k[p + 1] = (byte) len;
    System.arraycopy(src, s, k, p + 2, len);
    return p + 2 + len;
  }

  @Override
  public void event(Event event) {
    counters[Counter.EVENTS.ordinal()]++;
    if (events.size() + checks.size() >= MAX_EVENTS_PER_INTERVAL) {
      counters[Counter.DROPPED_EVENTS.ordinal()]++;
      return;
    }
    events.add(event);
  }

  @Override
  public void serviceCheck(ServiceCheck check) {
    counters[Counter.SERVICE_CHECKS.ordinal()]++;
    if (events.size() + checks.size() >= MAX_EVENTS_PER_INTERVAL) {
      counters[Counter.DROPPED_EVENTS.ordinal()]++;
      return;
    }
    checks.add(check);
  }

  /**
   * Ends the current interval and starts the next.
   *
   * @param nowMs the flush time (epoch ms)
   * @param last true at stop
   * @return the finished interval, no longer touched by this aggregator
   */
  /**
   * A counter or gauge line with its own time: one series per value, outside the interval's
   * table, at most {@value #MAX_EVENTS_PER_INTERVAL} per interval (more are counted as dropped).
   */
  private void timed(MetricLine l) {
    String name = l.name();
    List<String> tags = new ArrayList<>(l.tagCount());
    for (int i = 0; i < l.tagCount(); i++) {
      tags.add(l.tag(i));
    }
    Mapped m = mapper.get().map(name, l.type());
    for (int i = 0; i < l.valueCount(); i++) {
      if (timed.size() >= MAX_EVENTS_PER_INTERVAL) {
        counters[Counter.DROPPED_TIMED.ordinal()]++;
        continue;
      }
      if (m.drop()) {
        counters[Counter.MAPPING_DROPPED.ordinal()]++;
        continue;
      }
      Series s = new Series(new byte[0], 0, l.type(), name, List.copyOf(tags));
      s.map(m, observe);
      boolean ok;
      if (l.type() == MetricType.COUNTER) {
        ok = s.addCount(l.value(i) / l.sampleRate());
      } else {
        s.value = l.value(i); // a delta has no earlier value at its own time: taken as it is
        s.samples = 1;
        ok = Double.isFinite(s.value);
      }
      if (ok) {
        s.timestampMs = l.timestampMs();
        timed.add(s);
      } else {
        onParseError(ParseError.VALUE_OUT_OF_RANGE, l.bytes(), l.nameStart(), l.nameEnd());
      }
    }
  }

  public Interval takeInterval(long nowMs, boolean last) {
    Series[] all = table.toArray(new Series[0]);
    int n = 0;
    for (Series s : all) {
      if (s.samples > 0) { // a series whose every sample was refused has nothing to show
        all[n++] = s;
      }
    }
    Interval done =
        new Interval(
            intervalStartMs,
            nowMs,
            n == all.length ? all : Arrays.copyOf(all, n),
            events,
            checks,
            counters.clone(),
            parseErrors.clone(),
            last,
            timed);
    table = new KeyTable<>(Math.max(256, all.length));
    events = new ArrayList<>();
    checks = new ArrayList<>();
    timed = new ArrayList<>();
    intervalStartMs = nowMs;
    intervalNumber++;
    if ((intervalNumber & 15) == 0) {
      forgetOldGauges();
    }
    return done;
  }

  private void forgetOldGauges() {
    sweptAt = intervalNumber;
    KeyTable<GaugeCell> kept = new KeyTable<>(gauges.size());
    for (GaugeCell c : gauges.toArray(new GaugeCell[0])) {
      if (intervalNumber - c.lastInterval <= gaugeTtlIntervals) {
        kept.put(c);
      }
    }
    gauges = kept;
  }

  /** Cumulative parse errors by reason. */
  public long parseErrors(ParseError reason) {
    return parseErrors[reason.ordinal()];
  }

  /** A cumulative counter. */
  public long counter(Counter c) {
    return counters[c.ordinal()];
  }
}
