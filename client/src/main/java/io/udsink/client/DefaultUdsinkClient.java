package io.udsink.client;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client: each emit checks its arguments, claims a slot of the {@link Ring}, fills it and
 * publishes it; it takes no lock and allocates nothing (the varargs array is copied into the
 * slot, so it never escapes). The {@link ClientLoop} on the client's own thread does the rest.
 *
 * <pre>
 *   emit -> ring slot -> ClientLoop (aggregate, format, pack) -> Transport -> socket
 * </pre>
 *
 * A full ring drops the emit in {@link Mode#NON_BLOCKING} and makes the caller wait up to the
 * blocking timeout otherwise. While the collector is gone, emits outside reliable mode are
 * dropped at once and counted.
 */
final class DefaultUdsinkClient implements UdsinkClient {
  private final Mode mode;
  private final long blockingTimeoutNs;
  private final long closeTimeoutNs;
  private final Ring ring;
  private final int wakeMask;
  private final Transport transport;
  private final ClientLoop loop;
  private final Thread thread;
  private static final String[] NO_TAGS = new String[0];

  /**
   * Most samples of one series one thread holds between flushes (and 16 times that over all its
   * series, for the buffers' memory); beyond, the ring.
   */
  static final int SAMPLES_PER_THREAD = 4096;

  private final LongAdder[] drops = new LongAdder[DropReason.values().length];
  private final boolean aggregate;
  private final int maxContexts;
  private final ThreadLocal<Contexts> local = ThreadLocal.withInitial(this::register);
  private final AtomicLong datagramsSent = new AtomicLong();
  private final AtomicLong linesSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private volatile boolean closed;

  DefaultUdsinkClient(String path, UdsinkClientBuilder b) {
    this.mode = b.mode;
    this.aggregate = b.aggregation;
    this.maxContexts = b.maxContexts;
    this.blockingTimeoutNs = b.blockingTimeout.toNanos();
    this.closeTimeoutNs = b.closeTimeout.toNanos();
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
    // queueCapacity counts datagrams: the ring holds as many lines as that many datagrams of
    // 64 lines each
    this.ring = new Ring((int) Math.min(1 << 22, (long) b.queueCapacity * 64));
    this.wakeMask = ring.capacity() / 4 - 1;
    this.transport = new Transport(path, b, b.maxDatagramSize, drops, reconnects);
    List<String> tags = new ArrayList<>(b.constantTags);
    tags.addAll(Origin.environmentTags(b.environment, b.constantTags));
    String container = b.containerId;
    if (container == null && b.originDetection) {
      container =
          Origin.containerId(
              java.nio.file.Path.of("/proc/self/cgroup"), java.nio.file.Path.of("/sys/fs/cgroup"));
    }
    String cardinality = b.cardinality;
    if (cardinality == null) {
      cardinality = b.environment.get("DD_CARDINALITY");
    }
    byte[] origin = Origin.fields(container, b.environment.get("DD_EXTERNAL_ENV"), cardinality);
    this.loop =
        new ClientLoop(
            ring,
            transport,
            b,
            LineFormatter.encode(b.prefix, LineFormatter.NAME),
            Tags.of(tags.toArray(new String[0])).encoded,
            origin,
            drops,
            new AtomicLong[] {datagramsSent, linesSent, bytesSent});
    this.thread = new Thread(loop, "udsink-client-sender");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  // ---------------------------------------------------------------- checks, small to inline

  private boolean refused() {
    if (closed) {
      drops[DropReason.CLOSED.ordinal()].increment();
      return true;
    }
    if (transport.unavailable && mode != Mode.RELIABLE) {
      drops[DropReason.COLLECTOR_UNAVAILABLE.ordinal()].increment();
      return true;
    }
    return false;
  }

  private boolean invalid(String name) {
    if (name == null || name.isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return true;
    }
    return false;
  }

  private boolean skipped(double rate) {
    if (!(rate > 0 && rate <= 1)) {
      drops[DropReason.INVALID.ordinal()].increment();
      return true;
    }
    return rate < 1 && ThreadLocalRandom.current().nextDouble() >= rate;
  }

  private boolean notFinite(double v) {
    if (Double.isFinite(v)) {
      return false;
    }
    drops[DropReason.INVALID.ordinal()].increment();
    return true;
  }

  // ---------------------------------------------------------------- the ring

  /** Claims a slot, waiting for room outside non-blocking mode; -1 when dropped. */
  private long claim() {
    long seq = ring.claim();
    return seq >= 0 ? seq : claimSlowly();
  }

  private long claimSlowly() {
    if (mode != Mode.NON_BLOCKING) {
      loop.wake();
      long deadline = System.nanoTime() + blockingTimeoutNs;
      while (!closed && ring.awaitRoom(deadline)) {
        long seq = ring.claim();
        if (seq >= 0) {
          return seq;
        }
      }
    }
    drops[(closed ? DropReason.CLOSED : DropReason.QUEUE_FULL).ordinal()].increment();
    return -1;
  }

  private void publish(long seq) {
    ring.publish(seq);
    if (loop.parked && (loop.idle || (seq & wakeMask) == 0)) {
      loop.wake();
    }
  }

  private void other(byte kind, String text, Object object) {
    long seq = claim();
    if (seq < 0) {
      return;
    }
    Ring.Slot s = ring.slot(seq);
    s.kind = kind;
    s.name = null;
    s.rate = 1;
    s.timestampSeconds = 0;
    s.tagSet = null;
    s.tagCount = 0;
    s.text = text;
    s.object = object;
    publish(seq);
  }

  /**
   * Copies an emit's tags where they stay this thread's: the varargs array is then only read
   * by this loop, which inlines into the public method, so the JIT never allocates it.
   */
  private String[] stage(String[] tags) {
    if (tags == null || tags.length == 0) {
      return NO_TAGS;
    }
    String[] to = tags.length <= 16 ? local.get().scratch : new String[tags.length];
    for (int i = 0; i < tags.length; i++) {
      to[i] = tags[i];
    }
    return to;
  }

  private Contexts register() {
    Contexts t = new Contexts(maxContexts, Thread.currentThread());
    loop.register(t);
    return t;
  }

  /**
   * One emit, after its checks: into this thread's aggregation when {@code agg} (a table of its
   * own, under its monitor), else (or when that table is full) through the ring. One method on
   * purpose: large enough that the JIT keeps it apart, so that the public methods stay small
   * enough to inline into their callers, where a varargs array that only {@link #stage} reads
   * is never allocated.
   */
  private void emit(
      byte kind,
      String name,
      long l,
      double d,
      double rate,
      long ts,
      String member,
      Tags set,
      String[] tags,
      int n,
      boolean agg) {
    if (agg) {
      Contexts t = local.get();
      synchronized (t) {
        if (t.sealed) {
          drops[DropReason.CLOSED.ordinal()].increment();
          return;
        }
        int h = Contexts.hash(kind, name, rate, set, tags, n);
        Contexts.Context c = t.find(h, kind, name, rate, set, tags, n);
        if (c == null) {
          c =
              t.insert(
                  h,
                  kind,
                  name,
                  rate,
                  set,
                  set != null ? null : n == 0 ? NO_TAGS : java.util.Arrays.copyOf(tags, n));
        }
        if (c != null) {
          c.touched = true;
          switch (kind) {
            case Ring.COUNT -> c.count += l;
            case Ring.COUNT_DOUBLE -> c.doubleCount += d;
            case Ring.GAUGE -> {
              c.gauge = d;
              c.gaugeNs = System.nanoTime();
            }
            case Ring.SET -> {
              if (c.members == null) {
                c.members = new java.util.LinkedHashSet<>();
              }
              c.members.add(member);
            }
            default -> {
              // a sample: kept until the flush, in a buffer that grows to a bound
              if (c.samples == null) {
                c.samples = new double[64];
              } else if (c.sampleCount == c.samples.length) {
                if (c.samples.length >= SAMPLES_PER_THREAD
                    || t.heldSamples >= SAMPLES_PER_THREAD * 16) {
                  if (!loop.flushRequested) {
                    loop.flushRequested = true; // the client's thread takes them sooner
                    loop.wake();
                  }
                  break; // this one goes through the ring
                }
                c.samples = java.util.Arrays.copyOf(c.samples, c.samples.length * 2);
              }
              c.samples[c.sampleCount++] = d;
              t.heldSamples++;
              return;
            }
          }
          if (kind <= Ring.SET) {
            return;
          }
        }
      }
    }
    long seq = claim();
    if (seq < 0) {
      return;
    }
    Ring.Slot s = ring.slot(seq);
    s.kind = kind;
    s.name = name;
    s.longValue = l;
    s.doubleValue = d;
    s.rate = rate;
    s.timestampSeconds = ts;
    s.tagSet = set;
    s.text = member;
    if (n <= Ring.INLINE_TAGS) {
      for (int i = 0; i < n; i++) {
        s.tags[i] = tags[i];
      }
      s.tagCount = n;
    } else {
      s.moreTags = java.util.Arrays.copyOf(tags, n);
      s.tagCount = n;
    }
    publish(seq);
  }

  // ---------------------------------------------------------------- counters

  @Override
  public void count(String name, long delta, String... tags) {
    if (refused() || invalid(name)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.COUNT, name, delta, 0, 1, 0, null, null, st, n, aggregate);
  }

  @Override
  public void count(String name, long delta, Tags tags) {
    if (refused() || invalid(name)) {
      return;
    }
    emit(Ring.COUNT, name, delta, 0, 1, 0, null, tags, null, 0, aggregate);
  }

  @Override
  public void count(String name, long delta, double sampleRate, String... tags) {
    if (refused() || invalid(name) || skipped(sampleRate)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.COUNT, name, delta, 0, sampleRate, 0, null, null, st, n, aggregate);
  }

  @Override
  public void count(String name, double delta, String... tags) {
    if (refused() || invalid(name) || notFinite(delta)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.COUNT_DOUBLE, name, 0, delta, 1, 0, null, null, st, n, aggregate);
  }

  @Override
  public void countWithTimestamp(String name, long delta, Instant timestamp, String... tags) {
    if (refused() || invalid(name) || timestamp == null) {
      if (timestamp == null && !closed) {
        drops[DropReason.INVALID.ordinal()].increment();
      }
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(
        Ring.COUNT,
        name,
        delta,
        0,
        1,
        Math.max(1, timestamp.getEpochSecond()),
        null,
        null,
        st,
        n,
        false);
  }

  // ---------------------------------------------------------------- gauges

  @Override
  public void gauge(String name, double value, String... tags) {
    if (refused() || invalid(name) || notFinite(value)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.GAUGE, name, 0, value, 1, 0, null, null, st, n, aggregate);
  }

  @Override
  public void gauge(String name, double value, Tags tags) {
    if (refused() || invalid(name) || notFinite(value)) {
      return;
    }
    emit(Ring.GAUGE, name, 0, value, 1, 0, null, tags, null, 0, aggregate);
  }

  @Override
  public void gauge(String name, double value, double sampleRate, String... tags) {
    if (refused() || invalid(name) || notFinite(value) || skipped(sampleRate)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.GAUGE, name, 0, value, sampleRate, 0, null, null, st, n, aggregate);
  }

  @Override
  public void gaugeWithTimestamp(String name, double value, Instant timestamp, String... tags) {
    if (refused() || invalid(name) || notFinite(value) || timestamp == null) {
      if (timestamp == null && !closed) {
        drops[DropReason.INVALID.ordinal()].increment();
      }
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(
        Ring.GAUGE,
        name,
        0,
        value,
        1,
        Math.max(1, timestamp.getEpochSecond()),
        null,
        null,
        st,
        n,
        false);
  }

  @Override
  public void gaugeDelta(String name, double delta, String... tags) {
    if (refused() || invalid(name) || notFinite(delta)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.GAUGE_DELTA, name, 0, delta, 1, 0, null, null, st, n, false);
  }

  // ---------------------------------------------------------------- samples

  @Override
  public void time(String name, long millis, String... tags) {
    if (refused() || invalid(name)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.TIMER, name, 0, millis, 1, 0, null, null, st, n, aggregate);
  }

  @Override
  public void time(String name, long millis, Tags tags) {
    if (refused() || invalid(name)) {
      return;
    }
    emit(Ring.TIMER, name, 0, millis, 1, 0, null, tags, null, 0, aggregate);
  }

  @Override
  public void time(String name, long millis, double sampleRate, String... tags) {
    if (refused() || invalid(name) || skipped(sampleRate)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.TIMER, name, 0, millis, sampleRate, 0, null, null, st, n, aggregate);
  }

  @Override
  public void time(String name, Duration duration, String... tags) {
    if (refused() || invalid(name)) {
      return;
    }
    if (duration == null) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.TIMER, name, 0, duration.toNanos() / 1e6, 1, 0, null, null, st, n, aggregate);
  }

  @Override
  public void histogram(String name, double value, String... tags) {
    if (refused() || invalid(name) || notFinite(value)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.HISTOGRAM, name, 0, value, 1, 0, null, null, st, n, aggregate);
  }

  @Override
  public void histogram(String name, double value, Tags tags) {
    if (refused() || invalid(name) || notFinite(value)) {
      return;
    }
    emit(Ring.HISTOGRAM, name, 0, value, 1, 0, null, tags, null, 0, aggregate);
  }

  @Override
  public void histogram(String name, double value, double sampleRate, String... tags) {
    if (refused() || invalid(name) || notFinite(value) || skipped(sampleRate)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.HISTOGRAM, name, 0, value, sampleRate, 0, null, null, st, n, aggregate);
  }

  @Override
  public void distribution(String name, double value, String... tags) {
    if (refused() || invalid(name) || notFinite(value)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.DISTRIBUTION, name, 0, value, 1, 0, null, null, st, n, aggregate);
  }

  @Override
  public void distribution(String name, double value, Tags tags) {
    if (refused() || invalid(name) || notFinite(value)) {
      return;
    }
    emit(Ring.DISTRIBUTION, name, 0, value, 1, 0, null, tags, null, 0, aggregate);
  }

  @Override
  public void distribution(String name, double value, double sampleRate, String... tags) {
    if (refused() || invalid(name) || notFinite(value) || skipped(sampleRate)) {
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.DISTRIBUTION, name, 0, value, sampleRate, 0, null, null, st, n, aggregate);
  }

  // ---------------------------------------------------------------- sets, events, checks, raw

  @Override
  public void set(String name, String member, String... tags) {
    set(name, member, 1, stage(tags));
  }

  @Override
  public void set(String name, String member, double sampleRate, String... tags) {
    if (refused() || invalid(name) || skipped(sampleRate)) {
      return;
    }
    if (member == null || member.isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    int n = tags == null ? 0 : tags.length;
    String[] st = stage(tags);
    emit(Ring.SET, name, 0, 0, sampleRate, 0, member, null, st, n, aggregate);
  }

  @Override
  public void event(Event e) {
    if (refused()) {
      return;
    }
    if (e == null) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    other(Ring.EVENT, null, e);
  }

  @Override
  public void serviceCheck(ServiceCheck c) {
    if (refused()) {
      return;
    }
    if (c == null || c.name().isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    other(Ring.SERVICE_CHECK, null, c);
  }

  @Override
  public void sendRaw(String text) {
    if (refused()) {
      return;
    }
    if (text == null || text.isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    other(Ring.RAW, text, null);
  }

  // ---------------------------------------------------------------- life

  @Override
  public void flush() {
    loop.flushRequested = true;
    loop.wake();
  }

  @Override
  public ClientStats stats() {
    long[] d = new long[drops.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = drops[i].sum();
    }
    return ClientStats.of(
        datagramsSent.get(),
        linesSent.get(),
        bytesSent.get(),
        d,
        reconnects.get(),
        loop.contexts());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    loop.close();
    ring.wakeAll();
    boolean interrupted = false;
    long deadline = System.nanoTime() + closeTimeoutNs + TimeUnit.SECONDS.toNanos(1);
    while (thread.isAlive() && System.nanoTime() < deadline) {
      try {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
