package io.udsink.client;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The client: emitting threads format lines into a per-thread buffer and append them, under a
 * short lock, to the current datagram buffer taken from a fixed pool; full buffers queue for the
 * sender thread, which owns the socket.
 *
 * <pre>
 *   emit -> LineFormatter (per thread) -> current buffer --full/flush--> ready -> sender -> socket
 *                                            ^                                      |
 *                                            +-------------- free pool <------------+
 * </pre>
 *
 * <p>The sender thread alone touches the channel: it reopens it after ECONNREFUSED or EPIPE
 * (junixsocket closes the descriptor on both), backs off exponentially while the collector is
 * gone, reports each outage once and its end once. While an outage lasts, non-blocking and
 * blocking emits are dropped at the caller without formatting, so a dead collector costs no more
 * than a drop counter; the sender probes with a connect at each backoff step.
 */
final class DefaultUdsinkClient implements UdsinkClient {
  /** A pooled datagram buffer. */
  private static final class Batch {
    final byte[] buf;
    int len;
    int lines;
    long startNs;

    Batch(int size) {
      buf = new byte[size];
    }
  }

  private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

  private final String path;
  private final SocketAddress address;
  private final Mode mode;
  private final int maxDatagram;
  private final int sendBufferSize;
  private final long flushIntervalNs;
  private final long blockingTimeoutNs;
  private final long closeTimeoutNs;
  private final long initialBackoffNs;
  private final long maxBackoffNs;
  private final ClientErrorHandler handler;
  private final byte[] prefix;
  private final byte[] constantTags;
  private final ThreadLocal<LineFormatter> formatters;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Condition room = lock.newCondition();
  private final ArrayDeque<Batch> free;
  private final ArrayDeque<Batch> ready;
  private Batch current;
  private boolean flushRequested;
  private boolean closing;
  private boolean senderIdle;

  private volatile boolean closed;
  private volatile boolean unavailable;
  private final LongAdder[] drops = new LongAdder[DropReason.values().length];
  private final AtomicLong datagramsSent = new AtomicLong();
  private final AtomicLong linesSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final Thread sender;

  // sender thread only
  private AFUNIXDatagramChannel channel;
  private final ByteBuffer out;
  private boolean outage;
  private long outageStartNs;
  private long backoffNs;
  private long nextAttemptNs;
  private long closeDeadlineNs = Long.MAX_VALUE;

  DefaultUdsinkClient(String path, UdsinkClientBuilder b) {
    this.path = path;
    this.address = address(path);
    this.mode = b.mode;
    this.maxDatagram = b.maxDatagramSize;
    this.sendBufferSize = b.sendBufferSize;
    this.flushIntervalNs = b.flushInterval.toNanos();
    this.blockingTimeoutNs = b.blockingTimeout.toNanos();
    this.closeTimeoutNs = b.closeTimeout.toNanos();
    this.initialBackoffNs = b.initialBackoff.toNanos();
    this.maxBackoffNs = b.maxBackoff.toNanos();
    this.backoffNs = initialBackoffNs;
    this.handler = b.errorHandler;
    this.prefix = LineFormatter.encode(b.prefix, LineFormatter.NAME);
    this.constantTags = Tags.of(b.constantTags.toArray(new String[0])).encoded;
    int formatCapacity = maxDatagram + 1;
    this.formatters = ThreadLocal.withInitial(() -> new LineFormatter(formatCapacity));
    this.free = new ArrayDeque<>(b.queueCapacity);
    this.ready = new ArrayDeque<>(b.queueCapacity);
    for (int i = 0; i < b.queueCapacity; i++) {
      free.add(new Batch(maxDatagram));
    }
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
    this.out = ByteBuffer.allocateDirect(maxDatagram);
    this.sender = new Thread(this::run, "udsink-client-sender");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  private static SocketAddress address(String path) {
    try {
      return path.startsWith("@")
          ? AFUNIXSocketAddress.inAbstractNamespace(path.substring(1))
          : AFUNIXSocketAddress.of(java.nio.file.Path.of(path));
    } catch (IOException e) {
      throw new IllegalArgumentException("socket: " + path + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- emitting threads

  /**
   * Counts and refuses an emit that cannot be delivered (closed, or collector gone outside
   * reliable mode). Small so that it inlines into each public method: a refused call then never
   * passes its varargs array on, and the array is never allocated.
   */
  private boolean refused() {
    if (closed) {
      drops[DropReason.CLOSED.ordinal()].increment();
      return true;
    }
    if (unavailable && mode != Mode.RELIABLE) {
      drops[DropReason.COLLECTOR_UNAVAILABLE.ordinal()].increment();
      return true;
    }
    return false;
  }

  private LineFormatter start() {
    if (refused()) {
      return null;
    }
    return formatter();
  }

  private LineFormatter formatter() {
    LineFormatter f = formatters.get();
    f.reset();
    return f;
  }

  private boolean metricStart(LineFormatter f, String name) {
    if (name == null || name.isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return false;
    }
    f.put(prefix);
    f.putCached(name, LineFormatter.NAME);
    f.put((byte) ':');
    return true;
  }

  private void metricEnd(LineFormatter f, byte type1, byte type2, double rate, Object tags) {
    f.put((byte) '|');
    f.put(type1);
    if (type2 != 0) {
      f.put(type2);
    }
    if (rate != 1) {
      f.putRate(rate);
    }
    if (tags instanceof Tags) {
      f.putTags(constantTags, (Tags) tags);
    } else {
      f.putTags(constantTags, (String[]) tags);
    }
  }

  private static boolean sampled(double rate) {
    return rate >= 1 || ThreadLocalRandom.current().nextDouble() < rate;
  }

  private boolean validRate(double rate) {
    if (rate > 0 && rate <= 1) {
      return true;
    }
    drops[DropReason.INVALID.ordinal()].increment();
    return false;
  }

  private boolean validValue(double v) {
    if (Double.isFinite(v)) {
      return true;
    }
    drops[DropReason.INVALID.ordinal()].increment();
    return false;
  }

  @Override
  public void count(String name, long delta, String... tags) {
    if (refused()) {
      return;
    }
    longValue(name, delta, (byte) 'c', (byte) 0, 1, tags);
  }

  @Override
  public void count(String name, long delta, Tags tags) {
    longValue(name, delta, (byte) 'c', (byte) 0, 1, tags);
  }

  @Override
  public void count(String name, long delta, double sampleRate, String... tags) {
    if (validRate(sampleRate) && sampled(sampleRate)) {
      longValue(name, delta, (byte) 'c', (byte) 0, sampleRate, tags);
    }
  }

  /** One line with an integer value: counters and whole-millisecond timers. */
  private void longValue(String name, long v, byte t1, byte t2, double rate, Object tags) {
    LineFormatter f = start();
    if (f == null) {
      return;
    }
    try {
      if (metricStart(f, name)) {
        f.putLong(v);
        metricEnd(f, t1, t2, rate, tags);
        append(f);
      }
    } catch (LineFormatter.Overflow e) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  private void value(
      String name, double v, byte t1, byte t2, double rate, Object tags, boolean delta) {
    if (!validValue(v) || !validRate(rate) || !sampled(rate)) {
      return;
    }
    LineFormatter f = start();
    if (f == null) {
      return;
    }
    try {
      if (!metricStart(f, name)) {
        return;
      }
      if (t1 == 'g' && !delta && v < 0) {
        // StatsD reads a leading '-' as a delta: set 0, then subtract, in one unit
        f.put((byte) '0');
        metricEnd(f, t1, t2, rate, tags);
        f.put((byte) '\n');
        metricStart(f, name);
      } else if (delta && v >= 0) {
        f.put((byte) '+');
      }
      f.putDouble(v);
      metricEnd(f, t1, t2, rate, tags);
      append(f);
    } catch (LineFormatter.Overflow e) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  @Override
  public void gauge(String name, double value, String... tags) {
    if (refused()) {
      return;
    }
    value(name, value, (byte) 'g', (byte) 0, 1, tags, false);
  }

  @Override
  public void gauge(String name, double value, Tags tags) {
    value(name, value, (byte) 'g', (byte) 0, 1, tags, false);
  }

  @Override
  public void gaugeDelta(String name, double delta, String... tags) {
    value(name, delta, (byte) 'g', (byte) 0, 1, tags, true);
  }

  @Override
  public void time(String name, long millis, String... tags) {
    if (refused()) {
      return;
    }
    longValue(name, millis, (byte) 'm', (byte) 's', 1, tags);
  }

  @Override
  public void time(String name, long millis, Tags tags) {
    longValue(name, millis, (byte) 'm', (byte) 's', 1, tags);
  }

  @Override
  public void time(String name, Duration duration, String... tags) {
    value(name, duration.toNanos() / 1e6, (byte) 'm', (byte) 's', 1, tags, false);
  }

  @Override
  public void histogram(String name, double value, String... tags) {
    if (refused()) {
      return;
    }
    value(name, value, (byte) 'h', (byte) 0, 1, tags, false);
  }

  @Override
  public void histogram(String name, double value, Tags tags) {
    value(name, value, (byte) 'h', (byte) 0, 1, tags, false);
  }

  @Override
  public void histogram(String name, double value, double sampleRate, String... tags) {
    value(name, value, (byte) 'h', (byte) 0, sampleRate, tags, false);
  }

  @Override
  public void distribution(String name, double value, String... tags) {
    if (refused()) {
      return;
    }
    value(name, value, (byte) 'd', (byte) 0, 1, tags, false);
  }

  @Override
  public void distribution(String name, double value, Tags tags) {
    value(name, value, (byte) 'd', (byte) 0, 1, tags, false);
  }

  @Override
  public void set(String name, String member, String... tags) {
    if (member == null || member.isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    LineFormatter f = start();
    if (f == null) {
      return;
    }
    try {
      if (metricStart(f, name)) {
        f.put(member, LineFormatter.MEMBER);
        metricEnd(f, (byte) 's', (byte) 0, 1, tags);
        append(f);
      }
    } catch (LineFormatter.Overflow e) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  @Override
  public void event(Event e) {
    if (e == null) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    LineFormatter f = start();
    if (f == null) {
      return;
    }
    try {
      byte[] title = escapeNewlines(e.title()).getBytes(StandardCharsets.UTF_8);
      byte[] text = escapeNewlines(e.text()).getBytes(StandardCharsets.UTF_8);
      f.put("_e{" + title.length + "," + text.length + "}:", LineFormatter.RAW);
      f.put(title);
      f.put((byte) '|');
      f.put(text);
      field(f, "|d:", e.timestampSeconds() == null ? null : e.timestampSeconds().toString());
      field(f, "|h:", e.hostname());
      field(f, "|k:", e.aggregationKey());
      field(f, "|p:", e.priority());
      field(f, "|s:", e.sourceType());
      field(f, "|t:", e.alertType());
      f.putTags(constantTags, e.tags().toArray(new String[0]));
      append(f);
    } catch (LineFormatter.Overflow ex) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  @Override
  public void serviceCheck(ServiceCheck c) {
    if (c == null || c.name().isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    LineFormatter f = start();
    if (f == null) {
      return;
    }
    try {
      f.put("_sc|", LineFormatter.RAW);
      f.put(c.name(), LineFormatter.NAME);
      f.put((byte) '|');
      f.put((byte) ('0' + c.status().ordinal()));
      field(f, "|d:", c.timestampSeconds() == null ? null : c.timestampSeconds().toString());
      field(f, "|h:", c.hostname());
      f.putTags(constantTags, c.tags().toArray(new String[0]));
      if (c.message() != null) {
        f.put("|m:", LineFormatter.RAW);
        f.put(escapeNewlines(c.message()), LineFormatter.RAW);
      }
      append(f);
    } catch (LineFormatter.Overflow ex) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  private static void field(LineFormatter f, String key, String value) {
    if (value != null) {
      f.put(key, LineFormatter.RAW);
      f.put(value, LineFormatter.TAG);
    }
  }

  private static String escapeNewlines(String s) {
    return s.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n");
  }

  @Override
  public void sendRaw(String text) {
    if (text == null || text.isEmpty()) {
      drops[DropReason.INVALID.ordinal()].increment();
      return;
    }
    LineFormatter f = start();
    if (f == null) {
      return;
    }
    try {
      f.put(text, LineFormatter.RAW);
      append(f);
    } catch (LineFormatter.Overflow ex) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
    }
  }

  /** Appends the formatted line to the current datagram, starting a new one when it is full. */
  private void append(LineFormatter f) {
    int len = f.pos;
    if (len > maxDatagram) {
      drops[DropReason.OVERSIZE.ordinal()].increment();
      return;
    }
    lock.lock();
    try {
      long deadline = 0;
      while (true) {
        if (closing) {
          drops[DropReason.CLOSED.ordinal()].increment();
          return;
        }
        Batch b = current;
        if (b != null) {
          int need = b.len == 0 ? len : b.len + 1 + len;
          if (need <= maxDatagram) {
            if (b.len > 0) {
              b.buf[b.len++] = '\n';
            }
            System.arraycopy(f.buf, 0, b.buf, b.len, len);
            b.len += len;
            b.lines++;
            return;
          }
          ready.add(b);
          current = null;
          work.signal();
        }
        Batch fresh = free.poll();
        if (fresh != null) {
          fresh.len = 0;
          fresh.lines = 0;
          fresh.startNs = System.nanoTime();
          current = fresh;
          if (senderIdle) {
            senderIdle = false;
            work.signal();
          }
          continue;
        }
        if (mode == Mode.NON_BLOCKING) {
          drops[DropReason.QUEUE_FULL.ordinal()].increment();
          return;
        }
        long now = System.nanoTime();
        if (deadline == 0) {
          deadline = now + blockingTimeoutNs;
        }
        if (now >= deadline) {
          drops[DropReason.QUEUE_FULL.ordinal()].increment();
          return;
        }
        try {
          room.awaitNanos(deadline - now);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          drops[DropReason.QUEUE_FULL.ordinal()].increment();
          return;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void flush() {
    lock.lock();
    try {
      flushRequested = true;
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public ClientStats stats() {
    long[] d = new long[drops.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = drops[i].sum();
    }
    return ClientStats.of(
        datagramsSent.get(), linesSent.get(), bytesSent.get(), d, reconnects.get());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    lock.lock();
    try {
      closing = true;
      work.signal();
      room.signalAll();
    } finally {
      lock.unlock();
    }
    LockSupport.unpark(sender);
    boolean interrupted = false;
    long deadline = System.nanoTime() + closeTimeoutNs + TimeUnit.SECONDS.toNanos(1);
    while (sender.isAlive() && System.nanoTime() < deadline) {
      try {
        sender.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (sender.isAlive()) {
      sender.interrupt();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- sender thread

  private void run() {
    try {
      tryConnect(); // an absent collector is reported now, not at the first emit
      while (true) {
        Batch b = null;
        lock.lock();
        try {
          while (true) {
            b = ready.poll();
            if (b != null) {
              break;
            }
            long now = System.nanoTime();
            if (closing && closeDeadlineNs == Long.MAX_VALUE) {
              closeDeadlineNs = now + closeTimeoutNs;
            }
            Batch c = current;
            boolean due =
                c != null
                    && c.len > 0
                    && (closing || flushRequested || now - c.startNs >= flushIntervalNs);
            flushRequested = false;
            if (due) {
              b = c;
              current = null;
              break;
            }
            if (closing) {
              return;
            }
            if (unavailable && now >= nextAttemptNs) {
              break; // probe the collector
            }
            long wait = Long.MAX_VALUE;
            if (c != null && c.len > 0) {
              wait = c.startNs + flushIntervalNs - now;
            }
            if (unavailable) {
              wait = Math.min(wait, nextAttemptNs - now);
            }
            if (wait == Long.MAX_VALUE) {
              senderIdle = true;
              work.await();
            } else {
              work.awaitNanos(wait);
            }
          }
        } finally {
          lock.unlock();
        }
        if (b == null) {
          tryConnect();
          continue;
        }
        send(b);
        lock.lock();
        try {
          b.len = 0;
          b.lines = 0;
          free.add(b);
          room.signal();
        } finally {
          lock.unlock();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      dropQueuedAtExit();
      closeChannel();
    }
  }

  private void dropQueuedAtExit() {
    lock.lock();
    try {
      long lines = 0;
      for (Batch b : ready) {
        lines += b.lines;
      }
      if (current != null) {
        lines += current.lines;
      }
      drops[DropReason.CLOSED.ordinal()].add(lines);
      ready.clear();
      current = null;
    } finally {
      lock.unlock();
    }
  }

  /** Sends one datagram according to the mode; counts it as sent or dropped. */
  private void send(Batch b) {
    long blockDeadline = 0;
    long park = 10_000;
    while (true) {
      long now = System.nanoTime();
      if (closing && closeDeadlineNs == Long.MAX_VALUE) {
        closeDeadlineNs = now + closeTimeoutNs;
      }
      if (closing && now >= closeDeadlineNs) {
        drops[DropReason.CLOSED.ordinal()].add(b.lines);
        return;
      }
      if (channel == null) {
        if (now >= nextAttemptNs) {
          tryConnect();
        }
        if (channel == null) {
          if (mode != Mode.RELIABLE) {
            drops[DropReason.COLLECTOR_UNAVAILABLE.ordinal()].add(b.lines);
            return;
          }
          LockSupport.parkNanos(Math.max(1, Math.min(nextAttemptNs, closeDeadlineNs) - now));
          continue;
        }
      }
      out.clear();
      out.put(b.buf, 0, b.len).flip();
      try {
        if (channel.write(out) > 0) {
          datagramsSent.incrementAndGet();
          linesSent.addAndGet(b.lines);
          bytesSent.addAndGet(b.len);
          if (outage) {
            recovered(now);
          }
          return;
        }
        // EAGAIN: the collector's queue is full
        if (mode == Mode.NON_BLOCKING) {
          drops[DropReason.WOULD_BLOCK.ordinal()].add(b.lines);
          return;
        }
        if (blockDeadline == 0) {
          blockDeadline = now + blockingTimeoutNs;
        }
        if (mode == Mode.BLOCKING && now >= blockDeadline) {
          drops[DropReason.WOULD_BLOCK.ordinal()].add(b.lines);
          return;
        }
        LockSupport.parkNanos(park);
        park = Math.min(park * 2, MAX_PARK_NS);
      } catch (IOException e) {
        CollectorUnavailableException u = CollectorUnavailableException.classify(path, e);
        if (u == null) {
          report(new IOException("sending to the collector at " + path + " failed: " + e, e));
          if (!channel.isOpen()) {
            closeChannel();
          }
          drops[DropReason.SEND_ERROR.ordinal()].add(b.lines);
          return;
        }
        closeChannel();
        enterOutage(u, now);
        if (mode != Mode.RELIABLE) {
          drops[DropReason.COLLECTOR_UNAVAILABLE.ordinal()].add(b.lines);
          return;
        }
      }
    }
  }

  private void tryConnect() {
    closeChannel();
    long now = System.nanoTime();
    AFUNIXDatagramChannel ch = null;
    try {
      ch = AFUNIXDatagramChannel.open();
      if (sendBufferSize > 0) {
        ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, sendBufferSize);
      }
      ch.connect(address);
      ch.configureBlocking(false);
      channel = ch;
      unavailable = false; // let traffic through; the outage ends with the first send that works
    } catch (IOException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
      CollectorUnavailableException u = CollectorUnavailableException.classify(path, e);
      enterOutage(
          u != null
              ? u
              : new CollectorUnavailableException(
                  path, CollectorUnavailableException.Reason.REFUSED, e),
          now);
    }
  }

  private void enterOutage(CollectorUnavailableException u, long now) {
    unavailable = true;
    if (!outage) {
      outage = true;
      outageStartNs = now;
      backoffNs = initialBackoffNs;
      report(u);
    }
    nextAttemptNs = now + backoffNs;
    backoffNs = Math.min(backoffNs * 2, maxBackoffNs);
  }

  private void recovered(long now) {
    outage = false;
    unavailable = false;
    backoffNs = initialBackoffNs;
    reconnects.incrementAndGet();
    try {
      handler.onRecovered(path, Duration.ofNanos(now - outageStartNs));
    } catch (RuntimeException ignored) {
      // a handler's failure is not the client's
    }
  }

  private void report(Exception e) {
    try {
      handler.onError(e);
    } catch (RuntimeException ignored) {
      // a handler's failure is not the client's
    }
  }

  private void closeChannel() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already gone
      }
      channel = null;
    }
  }
}
