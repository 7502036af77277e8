package io.udsink.client;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The client's thread: reads the emits from the {@link Ring} in order, aggregates what can be
 * aggregated ({@link Contexts}), formats the rest as it comes, packs lines into datagrams and
 * sends them through the {@link Transport}.
 *
 * <pre>
 *   ring -> aggregate (counters add, gauges last, sets unite; samples kept) --flush--> lines
 *        -> format (events, checks, raw, sampled, timestamped) ---------------------> lines
 *   lines -> datagram (up to the maximum size; sent when full or after the flush interval)
 * </pre>
 *
 * It sleeps when there is nothing to do and wakes at the next flush, or when an emitter finds it
 * asleep ({@link #wake}).
 */
final class ClientLoop implements Runnable {
  private static final int IDLE_FLUSHES = 30;
  private static final int SAMPLES_PER_LINE = 64;

  private final Ring ring;
  private final Transport transport;
  private final Contexts contexts;
  private final boolean aggregate;
  private final int maxDatagram;
  private final long flushIntervalNs;
  private final long aggregationIntervalNs;
  private final long closeTimeoutNs;
  private final byte[] prefix;
  private final byte[] constantTags;
  private final byte[] origin;
  private final LongAdder[] drops;
  private final AtomicLong datagramsSent;
  private final AtomicLong linesSent;
  private final AtomicLong bytesSent;

  private final java.util.concurrent.CopyOnWriteArrayList<Contexts> threadTables =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final LineFormatter f;
  private final byte[] batch;
  private int batchLen;
  private int batchLines;
  private long batchStartNs;
  private long nextAggregationNs;
  private final long telemetryIntervalNs; // 0: off
  private long nextTelemetryNs;
  private final long[] telemetryBase = new long[3 + DropReason.values().length];

  private volatile Thread thread;
  private int touched; // aggregated emits since the last flush
  volatile boolean parked;
  volatile boolean idle;
  volatile boolean flushRequested;
  volatile boolean closing;

  ClientLoop(
      Ring ring,
      Transport transport,
      UdsinkClientBuilder b,
      byte[] prefix,
      byte[] constantTags,
      byte[] origin,
      LongAdder[] drops,
      AtomicLong[] sent) {
    this.ring = ring;
    this.transport = transport;
    this.aggregate = b.aggregation;
    this.contexts = new Contexts(b.maxContexts);
    this.maxDatagram = b.maxDatagramSize;
    this.flushIntervalNs = b.flushInterval.toNanos();
    this.aggregationIntervalNs = b.aggregationInterval.toNanos();
    this.closeTimeoutNs = b.closeTimeout.toNanos();
    this.prefix = prefix;
    this.constantTags = constantTags;
    this.origin = origin;
    this.drops = drops;
    this.datagramsSent = sent[0];
    this.linesSent = sent[1];
    this.bytesSent = sent[2];
    this.telemetryIntervalNs = b.telemetryInterval == null ? 0 : b.telemetryInterval.toNanos();
    this.f = new LineFormatter(maxDatagram + 1);
    this.batch = new byte[maxDatagram];
  }

  /** Contexts the aggregation holds now (the threads' tables and the sums where they meet). */
  int contexts() {
    int n = contexts.size();
    for (Contexts t : threadTables) {
      n += t.size();
    }
    return n;
  }

  /** Takes an emitting thread's table into the flushes. */
  void register(Contexts table) {
    threadTables.add(table);
    wake(); // it may sleep with nothing to flush: from now on it flushes this table too
  }

  /** Wakes the thread if it sleeps. */
  void wake() {
    Thread t = thread;
    if (t != null) {
      parked = false;
      LockSupport.unpark(t);
    }
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    transport.connect(); // an absent collector is reported now, not at the first emit
    long now = System.nanoTime();
    nextAggregationNs = now + aggregationIntervalNs;
    nextTelemetryNs = now + telemetryIntervalNs;
    try {
      while (true) {
        int n = drain(4096);
        now = System.nanoTime();
        boolean flush = flushRequested;
        if (flush) {
          flushRequested = false;
        }
        if (closing) {
          if (ring.backlog() > 0 && now < transport.closeDeadlineNs) {
            continue;
          }
          flushAggregation();
          telemetry();
          sendBatch();
          return;
        }
        if (telemetryIntervalNs > 0 && now >= nextTelemetryNs) {
          telemetry();
          nextTelemetryNs = now + telemetryIntervalNs;
        }
        if (flush || (aggregate && now >= nextAggregationNs)) {
          if (flush) {
            drain(Integer.MAX_VALUE);
          }
          flushAggregation();
          nextAggregationNs = System.nanoTime() + aggregationIntervalNs;
          sendBatch();
        } else if (batchLen > 0 && now - batchStartNs >= flushIntervalNs) {
          sendBatch();
        }
        if (transport.unavailable && !transport.connected() && now >= transport.nextAttemptNs()) {
          transport.connect(); // probe the collector
        }
        if (n == 0) {
          sleep(System.nanoTime());
        }
      }
    } catch (RuntimeException | Error e) {
      // a bug: say so, rather than end the client's thread in silence
      transport.report(new IllegalStateException("the udsink client's thread failed: " + e, e));
      throw e;
    } finally {
      long lines = batchLines;
      while (ring.peek() != null) {
        lines++;
        ring.advance(ring.peek());
      }
      drops[DropReason.CLOSED.ordinal()].add(lines);
      transport.close();
      ring.wakeAll();
    }
  }

  private void sleep(long now) {
    long until = now + flushIntervalNs; // what comes through the ring waits at most this long
    boolean tables = aggregate && !threadTables.isEmpty();
    if (touched > 0 || tables) {
      until = Math.min(until, nextAggregationNs);
    }
    if (batchLen > 0) {
      until = Math.min(until, batchStartNs + flushIntervalNs);
    }
    if (transport.unavailable && !transport.connected()) {
      until = Math.min(until, transport.nextAttemptNs());
    }
    idle = batchLen == 0 && touched == 0 && !tables && !transport.unavailable;
    parked = true;
    if (ring.peek() != null || flushRequested || closing) {
      parked = false;
      idle = false;
      return;
    }
    if (idle) {
      LockSupport.park(this); // nothing to do until an emit: it wakes this thread
    } else if (until > now) {
      LockSupport.parkNanos(this, until - now);
    }
    parked = false;
    idle = false;
  }

  /** Processes up to {@code max} published emits; how many. */
  private int drain(int max) {
    int n = 0;
    Ring.Slot s;
    while (n < max && (s = ring.peek()) != null) {
      try {
        process(s);
      } catch (LineFormatter.Overflow e) {
        drops[DropReason.OVERSIZE.ordinal()].increment();
      } catch (RuntimeException e) {
        drops[DropReason.INVALID.ordinal()].increment();
        transport.report(e);
      }
      ring.advance(s);
      n++;
    }
    return n;
  }

  private String[] tagsOf(Ring.Slot s) {
    return s.moreTags != null ? s.moreTags : s.tags;
  }

  private int tagCountOf(Ring.Slot s) {
    return s.moreTags != null ? s.moreTags.length : s.tagCount;
  }

  private void process(Ring.Slot s) {
    byte k = s.kind;
    boolean plain = s.timestampSeconds == 0;
    if (aggregate
        && plain
        && (k == Ring.COUNT
            || k == Ring.COUNT_DOUBLE
            || k == Ring.GAUGE
            || k == Ring.SET
            || k == Ring.TIMER
            || k == Ring.HISTOGRAM
            || k == Ring.DISTRIBUTION)) {
      Contexts.Context c = contexts.get(k, s.name, s.rate, s.tagSet, tagsOf(s), tagCountOf(s));
      if (c != null) {
        aggregate(c, s);
        return;
      }
    }
    direct(s);
  }

  private void aggregate(Contexts.Context c, Ring.Slot s) {
    c.touched = true;
    touched++;
    switch (c.kind) {
      case Ring.COUNT -> c.count += s.longValue;
      case Ring.COUNT_DOUBLE -> c.doubleCount += s.doubleValue;
      case Ring.GAUGE -> c.gauge = s.doubleValue;
      case Ring.SET -> {
        if (c.members == null) {
          c.members = new java.util.LinkedHashSet<>();
        }
        c.members.add(s.text);
      }
      default -> {
        if (c.samples == null) {
          c.samples = new double[SAMPLES_PER_LINE];
        }
        c.samples[c.sampleCount++] = s.doubleValue;
        if (c.sampleCount == SAMPLES_PER_LINE) {
          samplesLine(c);
        }
      }
    }
  }

  private void flushAggregation() {
    touched = 0;
    if (!aggregate) {
      return;
    }
    harvest();
    contexts.forEach(
        c -> {
          if (!c.touched) {
            c.idleFlushes++;
            return;
          }
          c.idleFlushes = 0;
          c.touched = false;
          flushOne(c);
        },
        IDLE_FLUSHES);
  }

  /** A context's lines: its sum, last value, members or samples; then it starts again. */
  private void flushOne(Contexts.Context c) {
    try {
      switch (c.kind) {
        case Ring.COUNT -> {
          line(c, c.count);
          c.count = 0;
        }
        case Ring.COUNT_DOUBLE -> {
          lineDouble(c, c.doubleCount);
          c.doubleCount = 0;
        }
        case Ring.GAUGE -> gaugeLine(c, c.gauge);
        case Ring.SET -> {
          for (String m : c.members) {
            start(c.name);
            f.put(m, LineFormatter.MEMBER);
            f.put(suffix(c));
            append(1);
          }
          c.members.clear();
        }
        default -> {
          if (c.sampleCount > 0) {
            samplesLine(c);
          }
        }
      }
    } catch (LineFormatter.Overflow e) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  private static final byte[] TELEMETRY = "udsink.client.".getBytes(StandardCharsets.US_ASCII);

  /** The client's own counts since the last report, as metric lines (when asked for). */
  private void telemetry() {
    if (telemetryIntervalNs == 0) {
      return;
    }
    long[] now = new long[telemetryBase.length];
    now[0] = linesSent.get();
    now[1] = datagramsSent.get();
    now[2] = bytesSent.get();
    for (DropReason r : DropReason.values()) {
      now[3 + r.ordinal()] = drops[r.ordinal()].sum();
    }
    String[] names = {"lines_sent", "datagrams_sent", "bytes_sent"};
    try {
      for (int i = 0; i < now.length; i++) {
        long delta = now[i] - telemetryBase[i];
        if (delta == 0 && i >= 3) {
          continue;
        }
        f.reset();
        f.put(TELEMETRY);
        f.put(i < 3 ? names[i] : "lines_dropped", LineFormatter.RAW);
        f.put((byte) ':');
        f.putLong(delta);
        f.put((byte) '|');
        f.put((byte) 'c');
        f.putTags(
            constantTags,
            i < 3
                ? new String[0]
                : new String[] {
                  "reason:" + DropReason.values()[i - 3].name().toLowerCase(java.util.Locale.ROOT)
                });
        f.put(origin);
        append(1);
        telemetryBase[i] = now[i];
      }
      f.reset();
      f.put(TELEMETRY);
      f.put("aggregated_contexts:", LineFormatter.RAW);
      f.putLong(contexts());
      f.put("|g", LineFormatter.RAW);
      f.putTags(constantTags, new String[0]);
      f.put(origin);
      append(1);
    } catch (LineFormatter.Overflow e) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  /** Moves every thread's sums into this thread's contexts, where they meet. */
  private void harvest() {
    for (Contexts t : threadTables) {
      boolean gone;
      synchronized (t) {
        t.sealed = closing;
        t.forEach(this::merge, IDLE_FLUSHES);
        t.heldSamples = 0;
        Thread owner = t.owner.get();
        gone = (owner == null || !owner.isAlive()) && t.size() == 0;
      }
      for (PendingSamples p : pending) {
        try {
          samplesLine(p.context, p.values, p.count);
        } catch (LineFormatter.Overflow e) {
          drops[DropReason.OVERSIZE.ordinal()].increment();
        }
        p.context.spare = p.values; // only this thread touches the spare
      }
      pending.clear();
      if (gone) {
        threadTables.remove(t);
      }
    }
  }

  /** A thread's samples taken at a flush, formatted once its table is let go. */
  private record PendingSamples(Contexts.Context context, double[] values, int count) {}

  private final java.util.ArrayList<PendingSamples> pending = new java.util.ArrayList<>();

  private void merge(Contexts.Context c) {
    if (!c.touched) {
      c.idleFlushes++;
      return;
    }
    c.idleFlushes = 0;
    c.touched = false;
    if (c.kind >= Ring.TIMER) {
      // samples: the thread gets the spare buffer, and the full one is formatted once the
      // thread's table is let go (formatting under it would hold up the thread)
      if (c.sampleCount > 0) {
        pending.add(new PendingSamples(c, c.samples, c.sampleCount));
        c.samples = c.spare != null ? c.spare : new double[c.samples.length];
        c.spare = null;
        c.sampleCount = 0;
      }
      return;
    }
    Contexts.Context g =
        c.tagSet != null
            ? contexts.get(c.kind, c.name, c.rate, c.tagSet, null, 0)
            : contexts.get(c.kind, c.name, c.rate, null, c.tags, c.tags.length);
    if (g == null) {
      // the meeting table is full: this thread's sums go out on a line of their own
      flushOne(c);
      return;
    }
    g.touched = true;
    switch (c.kind) {
      case Ring.COUNT -> {
        g.count += c.count;
        c.count = 0;
      }
      case Ring.COUNT_DOUBLE -> {
        g.doubleCount += c.doubleCount;
        c.doubleCount = 0;
      }
      case Ring.GAUGE -> {
        if (c.gaugeNs - g.gaugeNs >= 0 || g.gaugeNs == 0) {
          g.gauge = c.gauge;
          g.gaugeNs = c.gaugeNs;
        }
      }
      default -> {
        if (g.members == null) {
          g.members = new java.util.LinkedHashSet<>();
        }
        g.members.addAll(c.members);
        c.members.clear();
      }
    }
  }

  private void start(String name) {
    f.reset();
    f.put(prefix);
    f.putCached(name, LineFormatter.NAME);
    f.put((byte) ':');
  }

  private void line(Contexts.Context c, long v) {
    start(c.name);
    f.putLong(v);
    f.put(suffix(c));
    append(1);
  }

  private void lineDouble(Contexts.Context c, double v) {
    start(c.name);
    f.putDouble(v);
    f.put(suffix(c));
    append(1);
  }

  private void gaugeLine(Contexts.Context c, double v) {
    if (v < 0) {
      // StatsD reads a leading '-' as a delta: set 0 first, in the same datagram
      start(c.name);
      f.put((byte) '0');
      f.put(suffix(c));
      f.put((byte) '\n');
      f.put(prefix);
      f.putCached(c.name, LineFormatter.NAME);
      f.put((byte) ':');
      f.putDouble(v);
      f.put(suffix(c));
      append(2);
      return;
    }
    lineDouble(c, v);
  }

  /** Multi-value lines of a context's samples, as many to a line as fit. */
  private void samplesLine(Contexts.Context c) {
    samplesLine(c, c.samples, c.sampleCount);
    c.sampleCount = 0;
  }

  private void samplesLine(Contexts.Context c, double[] samples, int count) {
    byte[] suffix = suffix(c);
    int i = 0;
    while (i < count) {
      start(c.name);
      int values = 0;
      while (i < count && values < SAMPLES_PER_LINE) { // collectors bound the values per line
        int mark = f.pos;
        try {
          if (values > 0) {
            f.put((byte) ':');
          }
          f.putDouble(samples[i]);
          if (f.pos + suffix.length > maxDatagram) {
            f.pos = mark;
            break;
          }
        } catch (LineFormatter.Overflow e) {
          f.pos = mark;
          break;
        }
        values++;
        i++;
      }
      if (values == 0) {
        drops[DropReason.OVERSIZE.ordinal()].add(count - i);
        break;
      }
      f.put(suffix);
      append(1);
    }
  }

  private byte[] suffix(Contexts.Context c) {
    if (c.suffix == null) {
      LineFormatter g = new LineFormatter(maxDatagram * 2 + 64);
      g.put((byte) '|');
      g.put(typeOf(c.kind));
      if (c.rate != 1) {
        g.putRate(c.rate);
      }
      if (c.tagSet != null) {
        g.putTags(constantTags, c.tagSet);
      } else {
        g.putTags(constantTags, c.tags, c.tags.length);
      }
      g.put(origin);
      c.suffix = java.util.Arrays.copyOf(g.buf, g.pos);
    }
    return c.suffix;
  }

  private static final byte[][] TYPES = new byte[12][];

  static {
    TYPES[Ring.COUNT] = b("c");
    TYPES[Ring.COUNT_DOUBLE] = b("c");
    TYPES[Ring.GAUGE] = b("g");
    TYPES[Ring.GAUGE_DELTA] = b("g");
    TYPES[Ring.SET] = b("s");
    TYPES[Ring.TIMER] = b("ms");
    TYPES[Ring.HISTOGRAM] = b("h");
    TYPES[Ring.DISTRIBUTION] = b("d");
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] typeOf(byte kind) {
    return TYPES[kind];
  }

  /** A line formatted as it comes: not aggregated. */
  private void direct(Ring.Slot s) {
    switch (s.kind) {
      case Ring.EVENT -> {
        f.reset();
        Formats.event(f, (Event) s.object, constantTags);
        f.put(origin);
      }
      case Ring.SERVICE_CHECK -> {
        f.reset();
        Formats.serviceCheck(f, (ServiceCheck) s.object, constantTags, origin);
      }
      case Ring.RAW -> {
        f.reset();
        f.put(s.text, LineFormatter.RAW);
      }
      default -> {
        start(s.name);
        switch (s.kind) {
          case Ring.COUNT -> f.putLong(s.longValue);
          case Ring.SET -> f.put(s.text, LineFormatter.MEMBER);
          case Ring.GAUGE_DELTA -> {
            if (s.doubleValue >= 0) {
              f.put((byte) '+');
            }
            f.putDouble(s.doubleValue);
          }
          case Ring.GAUGE -> {
            if (s.doubleValue < 0) {
              f.put((byte) '0');
              end(s);
              f.put((byte) '\n');
              f.put(prefix);
              f.putCached(s.name, LineFormatter.NAME);
              f.put((byte) ':');
            }
            f.putDouble(s.doubleValue);
          }
          default -> f.putDouble(s.doubleValue);
        }
        end(s);
      }
    }
    append(1);
  }

  private void end(Ring.Slot s) {
    f.put((byte) '|');
    f.put(typeOf(s.kind));
    if (s.rate != 1) {
      f.putRate(s.rate);
    }
    if (s.tagSet != null) {
      f.putTags(constantTags, s.tagSet);
    } else {
      f.putTags(constantTags, tagsOf(s), tagCountOf(s));
    }
    if (s.timestampSeconds != 0) {
      f.put((byte) '|');
      f.put((byte) 'T');
      f.putLong(s.timestampSeconds);
    }
    f.put(origin);
  }

  /** Adds the formatted line (of {@code lines} lines) to the datagram being packed. */
  private void append(int lines) {
    int len = f.pos;
    if (len > maxDatagram) {
      drops[DropReason.OVERSIZE.ordinal()].add(lines);
      return;
    }
    if (batchLen > 0 && batchLen + 1 + len > maxDatagram) {
      sendBatch();
    }
    if (batchLen == 0) {
      batchStartNs = System.nanoTime();
    } else {
      batch[batchLen++] = '\n';
    }
    System.arraycopy(f.buf, 0, batch, batchLen, len);
    batchLen += len;
    batchLines += lines;
  }

  private void sendBatch() {
    if (batchLen == 0) {
      return;
    }
    if (transport.send(batch, batchLen, batchLines) == Transport.Result.SENT) {
      datagramsSent.incrementAndGet();
      linesSent.addAndGet(batchLines);
      bytesSent.addAndGet(batchLen);
    }
    batchLen = 0;
    batchLines = 0;
  }

  /** Marks the close: the thread sends what it has, within the close timeout, and ends. */
  void close() {
    transport.closeDeadlineNs = System.nanoTime() + closeTimeoutNs;
    closing = true;
    wake();
  }
}
