package io.udsink.collector.metrics;

import java.nio.charset.StandardCharsets;
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
  private final ParseErrorListener errorLog;
  private final long[] counters = new long[Counter.values().length];
  private final long[] parseErrors = new long[ParseError.values().length];
  private KeyTable<Series> table;
  private KeyTable<Series.GaugeCell> gauges = new KeyTable<>(16);
  private List<Event> events = new ArrayList<>();
  private List<ServiceCheck> checks = new ArrayList<>();
  private byte[] scratch = new byte[1024];
  private long intervalStartMs;
  private long intervalNumber;
  private final long gaugeTtlIntervals;

  /**
   * Creates an aggregator.
   *
   * @param maxSeries most series per interval; samples of further series are dropped and counted
   * @param gaugeTtlIntervals a gauge not updated for this many intervals forgets its last value
   * @param nowMs the start of the first interval (epoch ms)
   * @param errorLog told about every rejected line (after it is counted)
   */
  public Aggregator(int maxSeries, long gaugeTtlIntervals, long nowMs,
      ParseErrorListener errorLog) {
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

  @Override
  public void onParseError(ParseError reason, byte[] line, int start, int end) {
    parseErrors[reason.ordinal()]++;
    errorLog.onParseError(reason, line, start, end);
  }

  @Override
  public void metric(byte[] b, int nameStart, int nameEnd, MetricType type, double[] values,
      boolean[] deltas, int[] memberStarts, int[] memberEnds, int valueCount, double rate,
      int[] tagStarts, int[] tagEnds, int tagCount) {
    int need = 3 + (nameEnd - nameStart) + 2 * tagCount;
    for (int i = 0; i < tagCount; i++) {
      need += tagEnds[i] - tagStarts[i];
    }
    if (scratch.length < need) {
      scratch = new byte[Math.max(need, scratch.length * 2)];
    }
    byte[] k = scratch;
    int p = 0;
    k[p++] = (byte) type.ordinal();
    p = putRange(k, p, b, nameStart, nameEnd);
    for (int i = 0; i < tagCount; i++) {
      p = putRange(k, p, b, tagStarts[i], tagEnds[i]);
    }
    long hash = KeyTable.hash(k, p);
    Series s = table.get(k, p, hash);
    if (s == null) {
      String name = new String(b, nameStart, nameEnd - nameStart, StandardCharsets.UTF_8);
      String[] tags = new String[tagCount];
      for (int i = 0; i < tagCount; i++) {
        tags[i] = new String(b, tagStarts[i], tagEnds[i] - tagStarts[i], StandardCharsets.UTF_8);
      }
      s = create(k, p, hash, type, name, List.of(tags));
      if (s == null) {
        return;
      }
    }
    switch (type) {
      case COUNTER:
        for (int i = 0; i < valueCount; i++) {
          s.value += values[i] / rate;
        }
        s.samples += valueCount;
        break;
      case GAUGE:
        applyGauge(s, values, deltas, valueCount);
        break;
      case SET:
        for (int i = 0; i < valueCount; i++) {
          s.members.add(new String(b, memberStarts[i], memberEnds[i] - memberStarts[i],
              StandardCharsets.UTF_8));
        }
        break;
      default:
        double weight = 1 / rate;
        for (int i = 0; i < valueCount; i++) {
          s.addDistribution(values[i], weight);
        }
        break;
    }
  }

  @Override
  public void jsonMetric(String name, MetricType type, double[] values, String[] members,
      double rate, String[] tags) {
    List<String> sorted = StatsdParser.sortedDistinct(Arrays.asList(tags));
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    List<byte[]> tagBytes = new ArrayList<>(sorted.size());
    int need = 3 + nameBytes.length;
    for (String t : sorted) {
      byte[] tb = t.getBytes(StandardCharsets.UTF_8);
      tagBytes.add(tb);
      need += 2 + tb.length;
    }
    if (nameBytes.length > 0xffff || need > 0xfffff) {
      onParseError(ParseError.BAD_JSON, nameBytes, 0, Math.min(nameBytes.length, 200));
      return;
    }
    byte[] k = new byte[need];
    int p = 0;
    k[p++] = (byte) type.ordinal();
    p = putRange(k, p, nameBytes, 0, nameBytes.length);
    for (byte[] tb : tagBytes) {
      p = putRange(k, p, tb, 0, tb.length);
    }
    long hash = KeyTable.hash(k, p);
    Series s = table.get(k, p, hash);
    if (s == null) {
      s = create(k, p, hash, type, name, sorted);
      if (s == null) {
        return;
      }
    }
    int n = type == MetricType.SET ? members.length : values.length;
    switch (type) {
      case COUNTER:
        for (double v : values) {
          s.value += v / rate;
        }
        s.samples += n;
        break;
      case GAUGE:
        applyGauge(s, values, new boolean[n], n);
        break;
      case SET:
        s.members.addAll(Arrays.asList(members));
        break;
      default:
        for (double v : values) {
          s.addDistribution(v, 1 / rate);
        }
        break;
    }
  }

  private Series create(byte[] k, int len, long hash, MetricType type, String name,
      List<String> tags) {
    if (table.size() >= maxSeries) {
      counters[Counter.DROPPED_SERIES.ordinal()]++;
      return null;
    }
    byte[] key = Arrays.copyOf(k, len);
    Series s = new Series(key, hash, type, name, tags);
    if (type == MetricType.GAUGE) {
      Series.GaugeCell cell = gauges.get(key, len, hash);
      if (cell == null) {
        cell = new Series.GaugeCell(key, hash);
        gauges.put(cell);
      }
      s.cell = cell;
    }
    table.put(s);
    return s;
  }

  private void applyGauge(Series s, double[] values, boolean[] deltas, int n) {
    Series.GaugeCell cell = s.cell;
    for (int i = 0; i < n; i++) {
      cell.value = deltas[i] ? cell.value + values[i] : values[i];
    }
    cell.lastInterval = intervalNumber;
    s.value = cell.value;
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
  public Interval takeInterval(long nowMs, boolean last) {
    Interval done = new Interval(intervalStartMs, nowMs, table.toArray(new Series[0]), events,
        checks, counters.clone(), parseErrors.clone(), last);
    table = new KeyTable<>(Math.max(256, done.series().length));
    events = new ArrayList<>();
    checks = new ArrayList<>();
    intervalStartMs = nowMs;
    intervalNumber++;
    if ((intervalNumber & 15) == 0) {
      forgetOldGauges();
    }
    return done;
  }

  private void forgetOldGauges() {
    KeyTable<Series.GaugeCell> kept = new KeyTable<>(gauges.size());
    for (Series.GaugeCell c : gauges.toArray(new Series.GaugeCell[0])) {
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
