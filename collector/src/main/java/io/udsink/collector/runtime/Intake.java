package io.udsink.collector.runtime;

import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.aggregate.SeriesBudget;
import io.udsink.collector.export.Flusher;
import io.udsink.collector.export.IntervalSink;
import io.udsink.collector.loop.DatagramHandler;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.origin.OriginResolver;
import io.udsink.collector.parse.StatsdParser;
import io.udsink.collector.parse.TagStyles;
import io.udsink.collector.util.RateLimitedLog;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receive loop's handler for {@code udsink serve}. With N workers ({@code --workers}, 2 or
 * more) the receive thread only copies each datagram into the input ring of one of N
 * {@link Worker}s, which parse and aggregate; a series always lands in the same worker (its key's
 * hash picks it), and its lines are applied in the order they were received. With one worker the
 * receive thread parses and aggregates itself: on a host of two cores a thread of its own costs
 * more in hand-offs than it gives (docs/performance.md).
 *
 * <pre>
 *   receive thread --batch b--> input ring of worker b mod N --parse--> line records
 *        | every flush interval: FLUSH into every ring          | to the series' owner
 *        | at stop: STOP                                        v
 *                       owner applies them: gauges batch by batch in batch order, the rest as
 *                       they come
 *   the workers' parts of an interval --Merger--> Flusher --> outputs
 * </pre>
 *
 * A full ring stops the receive thread until its worker makes room: it then reads no socket, and
 * the kernel's queues hold senders back as they would with one thread. Nothing it accepted is
 * dropped. At stop, after the loop has drained every socket, STOP follows the last datagram in
 * every ring; the workers end the last interval, and the stop waits, up to a deadline, for every
 * output to write it; {@link #result()} tells what could not be.
 */
public final class Intake implements DatagramHandler {
  private static final Logger LOG = LoggerFactory.getLogger(Intake.class);
  private static final int SAMPLE_CHARS = 120;

  /** Bytes given to one worker before the next batch goes to the next worker. */
  static final int BATCH_BYTES = 64 << 10;

  /**
   * The largest record one line makes ({@link io.udsink.collector.aggregate.Aggregator#encode}):
   * a key of {@link StatsdParser#MAX_KEY_BYTES} with the lengths of {@link StatsdParser#MAX_TAGS}
   * tags, and {@link StatsdParser#MAX_VALUES} gauge values.
   */
  static final int LARGEST_RECORD =
      24
          + 8
          + 3
          + StatsdParser.MAX_KEY_BYTES
          + 2 * (StatsdParser.MAX_TAGS + 1)
          + 9 * StatsdParser.MAX_VALUES;

  /** About how many bytes of loose rings each worker reads from, over all parsers. */
  private static final int INBOX_BYTES = 1 << 20;

  /** Default workers: one per core but one, at most this many. */
  public static final int MAX_DEFAULT_WORKERS = 16;

  /**
   * Most workers accepted: the rings between workers grow with the square of their number (64 MiB
   * at 32), and one receive thread cannot feed more.
   */
  public static final int MAX_WORKERS = 32;

  private final long flushIntervalNs;
  private final LongSupplier wallClockMs;
  private final Worker[] workers;
  private final Merger merger;
  private long nextFlushNs = -1;
  private boolean started;
  private boolean stopped;
  private int current;
  private int batchDatagrams;
  private int batchBytes;
  private volatile Thread receiver;
  private volatile boolean receiverParked;
  private final LongAdder waits = new LongAdder();

  /**
   * Creates the handler without a mapping, reading every tag format.
   *
   * @param flusher where finished intervals go
   * @param flushIntervalNs the flush interval
   * @param maxSeries most series per interval, over every worker
   * @param gaugeMemoryNs how long a gauge's last value is kept without updates (for deltas)
   * @param wallClockMs epoch milliseconds, for timestamps
   * @param finalFlushTimeoutMs how long the stop waits for the outputs to write the final flush
   * @param workers parse-and-aggregate threads, 1 to {@value #MAX_WORKERS}
   */
  public Intake(
      IntervalSink flusher,
      long flushIntervalNs,
      int maxSeries,
      long gaugeMemoryNs,
      LongSupplier wallClockMs,
      long finalFlushTimeoutMs,
      int workers) {
    this(
        flusher,
        flushIntervalNs,
        maxSeries,
        gaugeMemoryNs,
        wallClockMs,
        finalFlushTimeoutMs,
        MapperRef.none(ObserverSpec.defaults(ObserverSpec.Kind.NATIVE)),
        true,
        TagStyles.ALL,
        null,
        workers,
        ReceiveLoop.DEFAULT_MAX_DATAGRAM);
  }

  /**
   * Creates the handler.
   *
   * @param flusher where finished intervals go
   * @param flushIntervalNs the flush interval
   * @param maxSeries most series per interval, over every worker
   * @param gaugeMemoryNs how long a gauge's last value is kept without updates (for deltas)
   * @param wallClockMs epoch milliseconds, for timestamps
   * @param finalFlushTimeoutMs how long the stop waits for the outputs to write the final flush
   * @param mapper the mapping in force
   * @param observe true when an output shows distributions to Prometheus
   * @param tagStyles the tag formats lines are read with
   * @param origins tells each sender's container or service (origin detection), or null
   * @param workers parse-and-aggregate threads, 1 to {@value #MAX_WORKERS}
   * @param maxDatagram the largest datagram the loop hands over
   */
  public Intake(
      IntervalSink flusher,
      long flushIntervalNs,
      int maxSeries,
      long gaugeMemoryNs,
      LongSupplier wallClockMs,
      long finalFlushTimeoutMs,
      MapperRef mapper,
      boolean observe,
      TagStyles tagStyles,
      OriginResolver origins,
      int workers,
      int maxDatagram) {
    if (workers < 1 || workers > MAX_WORKERS) {
      throw new IllegalArgumentException("workers must be 1 to " + MAX_WORKERS + ": " + workers);
    }
    this.flushIntervalNs = flushIntervalNs;
    this.wallClockMs = wallClockMs;
    long now = wallClockMs.getAsLong();
    SeriesBudget budget = new SeriesBudget(maxSeries);
    this.merger = new Merger(workers, flusher, budget, now, finalFlushTimeoutMs);
    long gaugeTtl = Math.max(1, gaugeMemoryNs / flushIntervalNs);
    int inputBytes = workers == 1 ? 0 : ringBytes(maxDatagram + 16);
    this.workers = new Worker[workers];
    for (int i = 0; i < workers; i++) {
      RateLimitedLog badInput = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
      Aggregator aggregator =
          new Aggregator(
              budget,
              gaugeTtl,
              now,
              (reason, line, start, end) ->
                  badInput.warn(
                      reason.label(),
                      "rejected line (" + reason.label() + "): " + sample(line, start, end)),
              mapper,
              observe);
      this.workers[i] =
          new Worker(
              i,
              inputBytes,
              aggregator,
              (sink, agg) -> {
                StatsdParser p = new StatsdParser(sink, agg, Series.MAX_SKETCH_VALUE, tagStyles);
                p.podUidFromEntityId(origins != null);
                return p;
              },
              origins == null ? null : i == 0 ? origins : origins.forAnotherThread(),
              merger,
              this);
    }
    ByteRing[][] ordered = null;
    ByteRing[][] loose = null;
    if (workers > 1) {
      ordered = new ByteRing[workers][workers];
      loose = new ByteRing[workers][workers];
      int looseBytes =
          Math.max(ringBytes(LARGEST_RECORD), Integer.highestOneBit(INBOX_BYTES / workers));
      for (int i = 0; i < workers; i++) {
        for (int j = 0; j < workers; j++) {
          ordered[i][j] = new ByteRing(ringBytes(LARGEST_RECORD));
          loose[i][j] = new ByteRing(looseBytes);
        }
      }
    }
    for (Worker w : this.workers) {
      w.connect(this.workers, ordered, loose);
    }
  }

  /**
   * The smallest ring that holds two of the largest records: small, so that a worker reads what
   * the receive thread wrote while it is still in the caches (the sockets' queues in the kernel
   * hold the rest).
   */
  static int ringBytes(int largestRecord) {
    int min = Math.max(32 << 10, 2 * (largestRecord + 16));
    return Integer.highestOneBit(min - 1) << 1;
  }

  /**
   * The default number of workers on this host: one per core but the receive thread's, 1 to
   * {@value #MAX_DEFAULT_WORKERS}.
   */
  public static int defaultWorkers() {
    int cores = Runtime.getRuntime().availableProcessors();
    return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, cores - 1));
  }

  /** Parse-and-aggregate threads. */
  public int workers() {
    return workers.length;
  }

  /** Times the receive thread found a worker's ring full and waited for it. */
  public long receiverWaits() {
    return waits.sum();
  }

  @Override
  public void onDatagram(int socket, ByteBuffer datagram, boolean truncated) {
    onDatagram(socket, datagram, truncated, -1, -1, -1);
  }

  @Override
  public void onDatagram(
      int socket, ByteBuffer datagram, boolean truncated, int pid, int uid, int gid) {
    if (workers.length == 1) {
      workers[0].parseHere(datagram, pid);
      return;
    }
    start();
    Worker w = workers[current];
    int len = datagram.remaining();
    int off = claim(w, 8 + len, Worker.DATAGRAM);
    ByteRing in = w.input;
    in.putInt(off, pid);
    in.putInt(off + 4, len);
    datagram.get(datagram.position(), in.buf, off + 8, len);
    in.publish();
    wake(w);
    batchDatagrams++;
    batchBytes += len;
    if (batchBytes >= BATCH_BYTES) {
      onBatchEnd();
    }
  }

  @Override
  public void onBatchEnd() {
    if (batchDatagrams == 0 || workers.length == 1) {
      return;
    }
    Worker w = workers[current];
    claim(w, 0, Worker.END);
    w.input.publish();
    wake(w);
    current = (current + 1) % workers.length;
    batchDatagrams = 0;
    batchBytes = 0;
  }

  @Override
  public long onTimer(long nowNs) {
    start();
    if (nextFlushNs < 0) {
      nextFlushNs = nowNs + flushIntervalNs;
      return nextFlushNs;
    }
    broadcast(Worker.FLUSH);
    nextFlushNs += flushIntervalNs;
    if (nextFlushNs <= nowNs) {
      nextFlushNs = nowNs + flushIntervalNs;
    }
    return nextFlushNs;
  }

  @Override
  public void onStop() {
    if (stopped) {
      return;
    }
    stopped = true;
    start();
    broadcast(Worker.STOP);
    if (workers.length == 1) {
      return;
    }
    boolean interrupted = false;
    for (Worker w : workers) {
      while (true) {
        try {
          w.thread().join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * What the final flush could not write, once the loop has stopped; null if the stop did not
   * get that far.
   */
  public Flusher.Result result() {
    return merger.result();
  }

  /**
   * Test seam: a frozen worker takes nothing from its ring until thawed, as a worker that cannot
   * keep up would.
   *
   * @param worker its index
   * @param frozen true to freeze, false to thaw
   */
  public void freezeWorker(int worker, boolean frozen) {
    workers[worker].freeze(frozen);
  }

  /** Records for every worker: FLUSH or STOP, with the time; the next batch goes to worker 0. */
  private void broadcast(int kind) {
    long ms = wallClockMs.getAsLong();
    if (workers.length == 1) {
      workers[0].endHere(ms, kind == Worker.STOP);
      return;
    }
    for (Worker w : workers) {
      int off = claim(w, 8, kind);
      w.input.putLong(off, ms);
      w.input.publish();
      wake(w);
    }
    current = 0;
    batchDatagrams = 0;
    batchBytes = 0;
  }

  private void start() {
    if (started || workers.length == 1) {
      return;
    }
    started = true;
    receiver = Thread.currentThread();
    for (Worker w : workers) {
      Thread t = new Thread(w, "udsink-worker-" + w.index);
      t.setDaemon(true);
      w.start(t);
    }
  }

  /** Room in a worker's input ring; while there is none, the receive thread waits. */
  private int claim(Worker w, int payload, int kind) {
    ByteRing in = w.input;
    int off = in.claim(payload, kind);
    if (off >= 0) {
      return off;
    }
    waits.increment();
    in.publish();
    wake(w);
    receiver = Thread.currentThread();
    while (true) {
      receiverParked = true;
      if (!in.hasRoom(payload)) {
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
      }
      receiverParked = false;
      off = in.claim(payload, kind);
      if (off >= 0) {
        return off;
      }
      if (!w.thread().isAlive()) {
        // only a defect stops a worker; waiting on would stop the loop, and the stop with it
        throw new IllegalStateException("worker " + w.index + " has stopped");
      }
    }
  }

  /**
   * Called by a worker that released room in its input ring: wakes a waiting receive thread once
   * half the ring is free, so that it wakes once for many datagrams, not for each.
   */
  void spaceFreed(ByteRing ring) {
    if (receiverParked && ring.used() <= ring.buf.length / 2) {
      LockSupport.unpark(receiver);
    }
  }

  private static void wake(Worker w) {
    if (w.parked) {
      LockSupport.unpark(w.thread());
    }
  }

  /** The start of a line, printable: non-printable bytes as {@code \xNN}. */
  public static String sample(byte[] b, int s, int e) {
    StringBuilder sb = new StringBuilder();
    int end = Math.min(e, s + SAMPLE_CHARS);
    String text = new String(b, s, end - s, StandardCharsets.UTF_8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\ufffd') {
        sb.append(c == '\ufffd' ? "\\ufffd" : String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (end < e) {
      sb.append("... (").append(e - s).append(" bytes)");
    }
    return "'" + sb + "'";
  }
}
