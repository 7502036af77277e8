package io.udsink.collector.runtime;

import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.origin.OriginResolver;
import io.udsink.collector.parse.Event;
import io.udsink.collector.parse.MetricLine;
import io.udsink.collector.parse.MetricSink;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.ServiceCheck;
import io.udsink.collector.parse.StatsdParser;
import io.udsink.collector.util.Fatal;
import io.udsink.collector.util.RateLimitedLog;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One parse-and-aggregate thread of {@code udsink serve}. It has two roles:
 *
 * <ul>
 *   <li><b>Parser</b> of the batches of datagrams the receive thread puts in its input ring: each
 *       metric line's series key is hashed, and the line goes, as a record, to the worker that
 *       owns that hash. Events, service checks and samples with their own time stay with the
 *       parser.</li>
 *   <li><b>Owner</b> of its share of the series: it applies the records every parser sends it.
 *   </li>
 * </ul>
 *
 * Between every two workers there are two rings. Counter, set and distribution records take the
 * <em>loose</em> ring, which the owner empties whenever it can: their sums do not depend on order.
 * Gauge records take the <em>ordered</em> ring, with an END marker after every batch of datagrams;
 * the owner reads the ordered rings batch by batch in the order the receive thread read the
 * batches (batch {@code b} went to worker {@code b mod N}), so a gauge's values are applied in
 * arrival order, as with one thread.
 *
 * <p>A flush is a FLUSH record in every input ring: each parser ends its interval there and puts
 * a FLUSH marker in every ring it writes; an owner that has a marker from every ring ends its
 * series' interval and gives both parts to the {@link Merger}. STOP is the same, for the last
 * time. A line is therefore counted in the interval the receive thread read it in.
 *
 * <p>A worker that cannot write to a full ring applies its own inboxes while it waits, so two
 * workers never wait on each other: the parser of the oldest unfinished batch can always go on.
 * A line of a series this worker owns is applied at once when nothing it could overtake is
 * waiting. A single worker has no thread and no rings: the receive thread parses and aggregates
 * with it ({@link #parseHere}, {@link #endHere}).
 */
final class Worker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

  static final int DATAGRAM = 1;
  static final int END = 2;
  static final int FLUSH = 3;
  static final int STOP = 4;
  static final int METRIC = 5;

  private static final int SPINS = 128;
  private static final int YIELDS = 32;
  private static final int NAPS = 20;
  private static final long NAP_NS = TimeUnit.MICROSECONDS.toNanos(50);
  private static final long PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int BURST = 256;

  final int index;
  private final String name;
  final ByteRing input;
  private final Aggregator aggregator;
  private final StatsdParser parser;
  private final OriginResolver origins;
  private final Merger merger;
  private final Intake intake;
  private final RateLimitedLog errors = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));

  /** {@code ordered[j]}, {@code loose[j]}: to worker j; the inboxes: from worker i. */
  private ByteRing[] ordered;

  private ByteRing[] loose;
  private ByteRing[] orderedIn;
  private ByteRing[] looseIn;
  private Worker[] all;
  private int n = 1;

  /** Owner side: the parser whose batch is applied next from the ordered rings. */
  private int turn;

  /** Owner side: FLUSH or STOP markers taken from the ordered and from the loose rings. */
  private int orderedMarkers;

  private int looseMarkers;
  private boolean[] looseAtMarker;
  private long markerMs;
  private boolean markerLast;
  private boolean finished;

  /** Parser side: intervals ended here whose series part the owner side has not ended yet. */
  private final ArrayDeque<Aggregator.Produced> produced = new ArrayDeque<>();

  private long linesReported;
  private long intervals;
  private volatile Thread thread;
  volatile boolean parked;
  private volatile boolean frozen;

  Worker(
      int index,
      int inputBytes,
      Aggregator aggregator,
      BiFunction<MetricSink, Aggregator, StatsdParser> parsers,
      OriginResolver origins,
      Merger merger,
      Intake intake) {
    this.index = index;
    this.name = "worker " + index;
    this.input = inputBytes == 0 ? null : new ByteRing(inputBytes);
    this.aggregator = aggregator;
    this.parser = parsers.apply(new Router(), aggregator);
    this.origins = origins;
    this.merger = merger;
    this.intake = intake;
  }

  /**
   * Connects the workers: {@code orderedRings[i][j]} and {@code looseRings[i][j]} carry records
   * from worker i to worker j; both null with one worker.
   */
  void connect(Worker[] workers, ByteRing[][] orderedRings, ByteRing[][] looseRings) {
    this.all = workers;
    this.n = workers.length;
    if (n == 1) {
      return;
    }
    this.ordered = orderedRings[index];
    this.loose = looseRings[index];
    this.orderedIn = new ByteRing[n];
    this.looseIn = new ByteRing[n];
    this.looseAtMarker = new boolean[n];
    for (int i = 0; i < n; i++) {
      orderedIn[i] = orderedRings[i][index];
      looseIn[i] = looseRings[i][index];
    }
  }

  /** Starts the worker on its thread. */
  void start(Thread t) {
    thread = t;
    t.start();
  }

  /** The worker's thread, once started. */
  Thread thread() {
    return thread;
  }

  /** Test seam: a frozen worker takes nothing from its rings until thawed. */
  void freeze(boolean on) {
    frozen = on;
    Thread t = thread;
    if (!on && t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public void run() {
    while (!finished) {
      try {
        if (frozen) {
          LockSupport.parkNanos(this, PARK_NS);
          continue;
        }
        int work = applyInboxes();
        int off = input.next();
        if (off >= 0) {
          take(off);
          work++;
        }
        if (work == 0) {
          idle();
        }
      } catch (Throwable t) {
        failed(t);
      }
    }
  }

  /**
   * What failed costs the record it was handling, never the worker: a worker that stopped would
   * stop the intake. Reporting may fail too when memory is gone.
   */
  private void failed(Throwable t) {
    try {
      if (t instanceof Error) {
        Fatal.report(name, t);
      } else {
        errors.warn(t.getClass().getName(), name + " failed: " + t);
      }
    } catch (Throwable ignored) {
      // nothing more can be done here; the loop goes on with the next record
    }
  }

  /**
   * Parses a datagram on the calling thread: the receive thread's own work when it is the only
   * worker (no ring, no other thread).
   *
   * @param datagram its bytes, from position to limit
   * @param pid the sender's pid, or -1
   */
  void parseHere(ByteBuffer datagram, int pid) {
    parser.parse(datagram, origins == null ? null : origins.tag(pid));
  }

  /**
   * Ends an interval on the calling thread, as a FLUSH or STOP record would: only for a worker
   * that has no thread.
   */
  void endHere(long ms, boolean last) {
    endLines();
    endSeries(ms, last);
  }

  private void endLines() {
    aggregator.count(Counter.LINES, parser.lines() - linesReported);
    linesReported = parser.lines();
    produced.add(aggregator.takeProduced());
  }

  /** One record of the input ring: consumed whatever happens while it is handled. */
  private void take(int off) {
    try {
      switch (input.kind(off)) {
        case DATAGRAM:
          {
            int pid = input.getInt(off);
            int len = input.getInt(off + 4);
            parser.parse(input.buf, off + 8, len, origins == null ? null : origins.tag(pid));
            break;
          }
        case END:
          for (int j = 0; j < n; j++) {
            claim(ordered, j, 0, END);
          }
          break;
        case FLUSH:
        case STOP:
          {
            long ms = input.getLong(off);
            boolean last = input.kind(off) == STOP;
            endLines();
            for (int j = 0; j < n; j++) {
              ordered[j].putLong(claim(ordered, j, 8, last ? STOP : FLUSH), ms);
              loose[j].putLong(claim(loose, j, 8, last ? STOP : FLUSH), ms);
            }
            break;
          }
        default:
          throw new IllegalStateException("input record of kind " + input.kind(off));
      }
    } finally {
      input.consume(off);
      input.release();
      intake.spaceFreed(input);
      publishOutboxes();
    }
  }

  /**
   * Applies what the inboxes hold: the loose rings up to their markers, then the ordered rings
   * batch by batch; ends the interval once every ring has given its marker.
   *
   * @return records taken
   */
  private int applyInboxes() {
    int done = 0;
    for (int i = 0; i < n; i++) {
      if (looseAtMarker[i]) {
        continue;
      }
      ByteRing in = looseIn[i];
      int k = 0;
      for (int off; k < BURST && (off = in.next()) >= 0; k++) {
        if (in.kind(off) == METRIC) {
          aggregator.applyRecord(in.buf, off);
          in.consume(off);
        } else {
          marker(in, off);
          in.consume(off);
          looseAtMarker[i] = true;
          looseMarkers++;
          k++;
          break;
        }
      }
      if (k > 0) {
        released(in, i);
        done += k;
      }
    }
    ByteRing in = orderedIn[turn];
    int k = 0;
    for (int off; orderedMarkers < n && k < BURST && (off = in.next()) >= 0; k++) {
      int kind = in.kind(off);
      if (kind == METRIC) {
        aggregator.applyRecord(in.buf, off);
        in.consume(off);
        continue;
      }
      if (kind != END) {
        marker(in, off);
        orderedMarkers++;
      }
      in.consume(off);
      released(in, turn);
      turn = (turn + 1) % n;
      in = orderedIn[turn];
    }
    if (k > 0) {
      released(in, turn);
      done += k;
    }
    if (orderedMarkers == n && looseMarkers == n) {
      orderedMarkers = 0;
      looseMarkers = 0;
      java.util.Arrays.fill(looseAtMarker, false);
      turn = 0;
      endSeries(markerMs, markerLast);
      done++;
    }
    return done;
  }

  private void marker(ByteRing in, int off) {
    markerMs = in.getLong(off);
    markerLast = in.kind(off) == STOP;
  }

  private void released(ByteRing in, int producer) {
    in.release();
    Worker p = all[producer];
    if (p.parked && p != this) {
      LockSupport.unpark(p.thread());
    }
  }

  /** The owner side's end of an interval: its series, with the parser side's part. */
  private void endSeries(long ms, boolean last) {
    finished |= last; // even if what follows fails: the stop must not wait for this worker
    Aggregator.Produced p = produced.poll();
    if (p == null) {
      throw new IllegalStateException("worker " + index + ": series ended before the lines");
    }
    Aggregator.Owned o = aggregator.takeOwned();
    merger.deposit(index, intervals++, ms, last, p, o);
  }

  /**
   * Room for a record in a ring to worker {@code j}: while there is none, this worker applies its
   * own inboxes and then waits for the owner.
   */
  private int claim(ByteRing[] rings, int j, int payload, int kind) {
    ByteRing out = rings[j];
    int off = out.claim(payload, kind);
    while (off < 0) {
      out.publish();
      wake(all[j]);
      if (applyInboxes() == 0) {
        parked = true;
        if (!out.hasRoom(payload)) {
          LockSupport.parkNanos(this, PARK_NS);
        }
        parked = false;
      }
      off = out.claim(payload, kind);
    }
    return off;
  }

  private void publishOutboxes() {
    for (int j = 0; j < n; j++) {
      boolean any = false;
      if (ordered[j].unpublished()) {
        ordered[j].publish();
        any = true;
      }
      if (loose[j].unpublished()) {
        loose[j].publish();
        any = true;
      }
      if (any) {
        wake(all[j]);
      }
    }
  }

  private static void wake(Worker w) {
    if (w.parked) {
      LockSupport.unpark(w.thread());
    }
  }

  /**
   * Nothing to do: spin, then yield, then sleep in short naps, and only then park until a ring
   * this worker reads has a record. Under load the receive thread then never pays for a wake-up;
   * idle, the worker costs nothing.
   */
  private void idle() {
    for (int i = 0; i < SPINS; i++) {
      if (hasWork()) {
        return;
      }
      Thread.onSpinWait();
    }
    for (int i = 0; i < YIELDS; i++) {
      Thread.yield();
      if (hasWork()) {
        return;
      }
    }
    for (int i = 0; i < NAPS; i++) {
      LockSupport.parkNanos(this, NAP_NS);
      if (hasWork()) {
        return;
      }
    }
    parked = true;
    if (!hasWork()) {
      LockSupport.parkNanos(this, PARK_NS);
    }
    parked = false;
  }

  private boolean hasWork() {
    if (input.hasNext() || frozen) {
      return true;
    }
    if (orderedMarkers < n && orderedIn[turn].hasNext()) {
      return true;
    }
    for (int i = 0; i < n; i++) {
      if (!looseAtMarker[i] && looseIn[i].hasNext()) {
        return true;
      }
    }
    return false;
  }

  /** Where the parser's lines go: to the aggregator of the worker that owns the series. */
  private final class Router implements MetricSink {
    @Override
    public void metric(MetricLine l) {
      if (n == 1 || l.timestampMs() != 0) {
        aggregator.metric(l);
        return;
      }
      int len = aggregator.key(l);
      byte[] key = aggregator.keyBytes();
      long hash = Aggregator.hash(key, len);
      int owner = (int) (((hash >>> 32) * n) >>> 32);
      boolean gauge = l.type() == MetricType.GAUGE;
      if (owner == index
          && produced.isEmpty()
          && (!gauge || turn == index && orderedMarkers == 0 && ordered[index].drained())) {
        // This worker owns the series and its owner side is in the interval its parser is in.
        // A gauge's value depends on the order of its lines: it is applied here only when the
        // owner side has applied every ordered record before this batch.
        aggregator.apply(l, len, hash);
        return;
      }
      ByteRing[] rings = gauge ? ordered : loose;
      int off = claim(rings, owner, Aggregator.recordSize(l, len), METRIC);
      Aggregator.encode(l, key, len, hash, rings[owner].buf, off);
    }

    @Override
    public void event(Event event) {
      aggregator.event(event);
    }

    @Override
    public void serviceCheck(ServiceCheck check) {
      aggregator.serviceCheck(check);
    }
  }
}
