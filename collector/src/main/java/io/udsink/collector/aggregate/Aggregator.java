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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private static final MetricType[] TYPES = MetricType.values();

  private final SeriesBudget budget;
  private final MapperRef mapper;
  private final boolean observe;
  private final ParseErrorListener errorLog;
  private final long[] counters = new long[Counter.values().length];
  private final long[] parseErrors = new long[ParseError.values().length];

  /**
   * What applying lines to this aggregator's own series counts (series over the bound, samples a
   * mapping drops, values refused), apart from what parsing counts: with several workers the two
   * sides end an interval at different moments, and each part is counted with its own.
   */
  private final long[] owned = new long[Counter.values().length];

  private final long[] ownedErrors = new long[ParseError.values().length];
  private KeyTable<Series> table;
  private KeyTable<GaugeCell> gauges = new KeyTable<>(16);
  private List<Event> events = new ArrayList<>();
  private List<Series> timed = new ArrayList<>();
  private List<ServiceCheck> checks = new ArrayList<>();
  private byte[] scratch = new byte[1024];

  /** The key of a record being applied: apart from {@link #scratch}, which a parse may hold. */
  private byte[] recordKey = new byte[1024];

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
        new SeriesBudget(maxSeries),
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
    this(new SeriesBudget(maxSeries), gaugeTtlIntervals, nowMs, errorLog, mapper, observe);
  }

  /**
   * Creates one of several aggregators that share the series bound.
   *
   * @param budget the series bound, shared with the other aggregators of the process
   * @param gaugeTtlIntervals a gauge not updated for this many intervals forgets its last value
   * @param nowMs the start of the first interval (epoch ms)
   * @param errorLog told about every rejected line (after it is counted)
   * @param mapper the mapping in force, read when a series is first seen in an interval
   * @param observe true when an output shows distributions to Prometheus (buckets are kept)
   */
  public Aggregator(
      SeriesBudget budget,
      long gaugeTtlIntervals,
      long nowMs,
      ParseErrorListener errorLog,
      MapperRef mapper,
      boolean observe) {
    this.mapper = mapper;
    this.observe = observe;
    this.budget = budget;
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

  /** A value the owner of a series refused: counted with the owner's part of the interval. */
  private void ownerError(ParseError reason, byte[] line, int start, int end) {
    ownedErrors[reason.ordinal()]++;
    errorLog.onParseError(reason, line, start, end);
  }

  @Override
  public void metric(MetricLine l) {
    if (l.timestampMs() != 0) {
      timed(l);
      return;
    }
    int p = key(l);
    apply(l, p, KeyTable.hash(scratch, p));
  }

  /**
   * Writes the canonical key of a line without its own time into {@link #keyBytes()}.
   *
   * @param l the line
   * @return the key's length
   */
  public int key(MetricLine l) {
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
    return p;
  }

  /** The scratch array {@link #key} wrote into; valid until the next call. */
  public byte[] keyBytes() {
    return scratch;
  }

  /** The hash a series' key is looked up by: {@code key[0, len)}. */
  public static long hash(byte[] key, int len) {
    return KeyTable.hash(key, len);
  }

  /**
   * Adds a line's values to its series in this interval, whose key {@link #key} just wrote.
   *
   * @param l the line
   * @param p the key's length
   * @param hash the key's {@link #hash}
   */
  public void apply(MetricLine l, int p, long hash) {
    byte[] k = scratch;
    byte[] b = l.bytes();
    Series s = table.get(k, p, hash);
    if (s == null) {
      int tagCount = l.tagCount();
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
      owned[Counter.MAPPING_DROPPED.ordinal()] += n;
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
            refused |= !setGauge(s, cell, l.value(i), l.isDelta(i));
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
      ownerError(ParseError.VALUE_OUT_OF_RANGE, b, l.nameStart(), l.nameEnd());
    }
  }

  private static boolean setGauge(Series s, GaugeCell cell, double value, boolean delta) {
    double v = delta ? cell.value + value : value;
    if (!Double.isFinite(v)) {
      return false;
    }
    cell.value = v;
    s.samples++;
    return true;
  }

  /**
   * Bytes {@link #encode} writes for a line whose key is {@code keyLen} bytes long.
   *
   * <pre>
   *   | hash (8) | key length (4) | values (4) | rate (8) | key, padded to 8 | values (8 each) |
   *   | gauges: one delta flag byte per value |
   * </pre>
   */
  public static int recordSize(MetricLine l, int keyLen) {
    int n = l.valueCount();
    return 24 + ((keyLen + 7) & ~7) + 8 * n + (l.type() == MetricType.GAUGE ? n : 0);
  }

  /**
   * Writes a line as a record that {@link #applyRecord} of the series' owner adds, on its own
   * thread: set members travel as their hashes, so the record outlives the line's bytes.
   *
   * @param l the line
   * @param key its key, as {@link #key} wrote it
   * @param keyLen the key's length
   * @param hash the key's hash
   * @param dst where to write {@link #recordSize} bytes
   * @param off from where
   */
  public static void encode(MetricLine l, byte[] key, int keyLen, long hash, byte[] dst, int off) {
    int n = l.valueCount();
    LONGS.set(dst, off, hash);
    INTS.set(dst, off + 8, keyLen);
    INTS.set(dst, off + 12, n);
    LONGS.set(dst, off + 16, Double.doubleToRawLongBits(l.sampleRate()));
    System.arraycopy(key, 0, dst, off + 24, keyLen);
    int v = off + 24 + ((keyLen + 7) & ~7);
    MetricType type = l.type();
    if (type == MetricType.SET) {
      byte[] b = l.bytes();
      for (int i = 0; i < n; i++, v += 8) {
        int ms = l.memberStart(i);
        LONGS.set(dst, v, KeyTable.hash(b, ms, l.memberEnd(i) - ms));
      }
      return;
    }
    for (int i = 0; i < n; i++, v += 8) {
      LONGS.set(dst, v, Double.doubleToRawLongBits(l.value(i)));
    }
    if (type == MetricType.GAUGE) {
      for (int i = 0; i < n; i++) {
        dst[v + i] = (byte) (l.isDelta(i) ? 1 : 0);
      }
    }
  }

  /**
   * Adds a record another thread's {@link #encode} wrote, as {@link #metric} would add the line.
   *
   * @param src the record's bytes
   * @param off where it starts
   */
  public void applyRecord(byte[] src, int off) {
    long hash = (long) LONGS.get(src, off);
    int keyLen = (int) INTS.get(src, off + 8);
    int n = (int) INTS.get(src, off + 12);
    double rate = Double.longBitsToDouble((long) LONGS.get(src, off + 16));
    if (recordKey.length < keyLen) {
      recordKey = new byte[Math.max(keyLen, recordKey.length * 2)];
    }
    byte[] k = recordKey;
    System.arraycopy(src, off + 24, k, 0, keyLen);
    MetricType type = TYPES[k[0]];
    Series s = table.get(k, keyLen, hash);
    if (s == null) {
      s = createFromKey(k, keyLen, hash, type);
      if (s == null) {
        return;
      }
    }
    if (s.dropped) {
      owned[Counter.MAPPING_DROPPED.ordinal()] += n;
      return;
    }
    int v = off + 24 + ((keyLen + 7) & ~7);
    boolean refused = false;
    switch (type) {
      case COUNTER:
        for (int i = 0; i < n; i++, v += 8) {
          refused |= !s.addCount(Double.longBitsToDouble((long) LONGS.get(src, v)) / rate);
        }
        break;
      case GAUGE:
        {
          GaugeCell cell = s.cell;
          int flags = v + 8 * n;
          for (int i = 0; i < n; i++, v += 8) {
            double x = Double.longBitsToDouble((long) LONGS.get(src, v));
            refused |= !setGauge(s, cell, x, src[flags + i] != 0);
          }
          cell.lastInterval = intervalNumber;
          s.value = cell.value;
          break;
        }
      case SET:
        for (int i = 0; i < n; i++, v += 8) {
          s.members.add((long) LONGS.get(src, v));
        }
        s.samples += n;
        break;
      default:
        {
          double weight = 1 / rate;
          for (int i = 0; i < n; i++, v += 8) {
            refused |=
                !s.addDistribution(Double.longBitsToDouble((long) LONGS.get(src, v)), weight);
          }
          break;
        }
    }
    if (refused) {
      int nameLen = ((k[1] & 0xff) << 8) | (k[2] & 0xff);
      ownerError(ParseError.VALUE_OUT_OF_RANGE, k, 3, 3 + nameLen);
    }
  }

  /** A series first seen in a record: its name and tags decoded from the key. */
  private Series createFromKey(byte[] k, int len, long hash, MetricType type) {
    int p = 1;
    String name = null;
    List<String> tags = new ArrayList<>();
    while (p + 2 <= len) {
      int l = ((k[p] & 0xff) << 8) | (k[p + 1] & 0xff);
      String part = new String(k, p + 2, l, StandardCharsets.UTF_8);
      if (name == null) {
        name = part;
      } else {
        tags.add(part);
      }
      p += 2 + l;
    }
    return create(k, len, hash, type, name, List.copyOf(tags));
  }

  private Series create(
      byte[] k, int len, long hash, MetricType type, String name, List<String> tags) {
    if (!budget.takeSeries()) {
      owned[Counter.DROPPED_SERIES.ordinal()]++;
      return null;
    }
    GaugeCell cell = null;
    if (type == MetricType.GAUGE) {
      cell = gauges.get(k, len, hash);
      if (cell == null) {
        if (!budget.takeGauge() && (sweptAt == intervalNumber || !sweepThenTakeGauge())) {
          budget.returnSeries(1);
          owned[Counter.DROPPED_SERIES.ordinal()]++;
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

  /**
   * Ends the current interval and starts the next.
   *
   * @param nowMs the flush time (epoch ms)
   * @param last true at stop
   * @return the finished interval, no longer touched by this aggregator
   */
  public Interval takeInterval(long nowMs, boolean last) {
    Produced p = takeProduced();
    Owned o = takeOwned();
    budget.release(o);
    Interval done =
        new Interval(
            intervalStartMs,
            nowMs,
            o.series(),
            p.events(),
            p.checks(),
            sum(p.counters(), o.counters()),
            sum(p.parseErrors(), o.parseErrors()),
            last,
            p.timed());
    intervalStartMs = nowMs;
    return done;
  }

  /** The sums of two arrays of counts, element by element. */
  public static long[] sum(long[] a, long[] b) {
    long[] s = a.clone();
    for (int i = 0; i < s.length; i++) {
      s[i] += b[i];
    }
    return s;
  }

  /**
   * The series part of an interval, from the aggregator that owns them.
   *
   * @param series the series with at least one sample
   * @param counters cumulative {@link Counter} values applying lines counted so far
   * @param parseErrors cumulative values refused by reason so far
   * @param held the places the interval's series took in the {@link SeriesBudget}, given back
   *     with {@link SeriesBudget#release} once every worker has ended the interval
   */
  public record Owned(Series[] series, long[] counters, long[] parseErrors, int held) {}

  /**
   * What the lines an aggregator parsed made besides series: kept where they were parsed.
   *
   * @param events the events
   * @param checks the service checks
   * @param timed the samples with their own time
   * @param counters cumulative {@link Counter} values parsing counted so far
   * @param parseErrors cumulative parse errors by reason parsing counted so far
   */
  public record Produced(
      List<Event> events,
      List<ServiceCheck> checks,
      List<Series> timed,
      long[] counters,
      long[] parseErrors) {}

  /**
   * Ends the current interval's series (and counts the interval for gauge memory). Their places
   * in the series bound stay taken until the whole interval is released: another worker may
   * still be adding to the same interval.
   *
   * @return the series, no longer touched by this aggregator, and the counters as they stand
   */
  public Owned takeOwned() {
    Series[] all = table.toArray(new Series[0]);
    int n = 0;
    for (Series s : all) {
      if (s.samples > 0) { // a series whose every sample was refused has nothing to show
        all[n++] = s;
      }
    }
    table = new KeyTable<>(Math.max(256, all.length));
    intervalNumber++;
    if ((intervalNumber & 15) == 0) {
      forgetOldGauges();
    }
    return new Owned(
        n == all.length ? all : Arrays.copyOf(all, n),
        owned.clone(),
        ownedErrors.clone(),
        all.length);
  }

  /** Ends the current interval's events, service checks and samples with their own time. */
  public Produced takeProduced() {
    Produced p = new Produced(events, checks, timed, counters.clone(), parseErrors.clone());
    events = new ArrayList<>();
    checks = new ArrayList<>();
    timed = new ArrayList<>();
    return p;
  }

  private boolean sweepThenTakeGauge() {
    forgetOldGauges();
    return budget.takeGauge();
  }

  private void forgetOldGauges() {
    sweptAt = intervalNumber;
    KeyTable<GaugeCell> kept = new KeyTable<>(gauges.size());
    for (GaugeCell c : gauges.toArray(new GaugeCell[0])) {
      if (intervalNumber - c.lastInterval <= gaugeTtlIntervals) {
        kept.put(c);
      }
    }
    budget.returnGauges(gauges.size() - kept.size());
    gauges = kept;
  }

  /** Cumulative parse errors by reason. */
  public long parseErrors(ParseError reason) {
    return parseErrors[reason.ordinal()] + ownedErrors[reason.ordinal()];
  }

  /** A cumulative counter. */
  public long counter(Counter c) {
    return counters[c.ordinal()] + owned[c.ordinal()];
  }
}
