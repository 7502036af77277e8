package io.udsink.collector.loop;

import io.udsink.collector.sys.BatchReceiver;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.util.Fatal;
import io.udsink.collector.util.RateLimitedLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread receiving from any number of Unix datagram sockets, with edge-triggered semantics
 * over junixsocket's level-triggered (poll-based) selector.
 *
 * <pre>
 *   blocking select --readable--> ready queue --round-robin, up to budget each--> handler
 *        ^                            |   ^
 *        |  queue empty               |   |  still has data: back of the queue
 *        +----------------------------+   |  newly readable (non-blocking re-poll after
 *                                         |  a round): front of the queue
 * </pre>
 *
 * <ul>
 *   <li>A socket the selector reports readable joins the ready queue once.</li>
 *   <li>A round serves every socket in the queue once, each for at most {@code budget}
 *       datagrams, taken in batches of one {@code recvmmsg(2)} each ({@link BatchReceiver}). A
 *       socket leaves the queue only when a receive comes back short: the queue was empty.</li>
 *   <li>After a round, while the queue is non-empty and some socket is not in it, the loop
 *       re-polls without blocking; sockets it finds go to the front, since every socket already
 *       queued has just had its turn. A datagram on an idle socket thus waits at most one budget
 *       of another socket's datagrams.</li>
 *   <li>It blocks in the selector only when the queue is empty, with a timeout only when the
 *       handler asked for a timer. A stop request wakes it.</li>
 * </ul>
 *
 * <p>Stop, with nothing lost: every socket is shut down for reading (senders then get EPIPE, and
 * nothing more can be queued), each is read until a receive finds it empty (a zero-length
 * datagram is a datagram, not the end), the handler's {@link DatagramHandler#onStop()} runs, and
 * the sockets are closed and their files removed.
 */
public final class ReceiveLoop implements Runnable, AutoCloseable {
  /** Datagrams read from one socket per turn, by default. */
  public static final int DEFAULT_BUDGET = 64;

  /** Largest datagram accepted whole, by default; longer ones are cut and counted. */
  public static final int DEFAULT_MAX_DATAGRAM = 65536;

  private static final Logger LOG = LoggerFactory.getLogger(ReceiveLoop.class);
  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int STOPPED = 2;

  private final BoundSocket[] sockets;
  private final SocketStats[] socketStats;
  private final DatagramHandler handler;
  private final int budget;
  private final BatchReceiver receiver;
  private final SenderStats senders = new SenderStats();
  private final Selector selector;
  private final LongSupplier clock;
  private final long stopAtNs;
  private final LoopStats stats = new LoopStats();
  private final RateLimitedLog errorLog = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));

  /** Ready queue: a ring of socket indexes, plus membership flags. */
  private final int[] ring;

  private final boolean[] queued;
  private int head;
  private int size;

  private final AtomicInteger state = new AtomicInteger(NEW);
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean stopRequested;
  private volatile boolean releaseRequested;
  private final CountDownLatch running = new CountDownLatch(1);
  private volatile Thread loopThread;
  private long timerDeadlineNs = DatagramHandler.NO_DEADLINE;
  private boolean timerStarted;
  private boolean draining;

  /** How long a stop reads sockets it shares with another instance, at most. */
  private static final long SHARED_DRAIN_NS = TimeUnit.SECONDS.toNanos(1);

  private static final int BATCH = 4096;

  /** Most datagrams one receive takes. */
  static final int MAX_BATCH = 64;

  /** Most bytes of datagram slots in the receive region. */
  static final long MAX_REGION_BYTES = 4L << 20;

  /**
   * Creates a loop that owns the given sockets: it closes them when it stops.
   *
   * @param sockets bound, non-blocking sockets; indexes in this list are the handler's indexes
   * @param handler what to do with each datagram
   * @param budget datagrams per socket per turn, at least 1
   * @param maxDatagram largest datagram kept whole, at least 1
   * @param stopAfterNs stop by itself after this long, or {@code Long.MAX_VALUE} for never
   * @param clock monotonic nanoseconds ({@code System::nanoTime})
   * @throws IOException when the selector cannot be opened
   */
  public ReceiveLoop(
      List<BoundSocket> sockets,
      DatagramHandler handler,
      int budget,
      int maxDatagram,
      long stopAfterNs,
      LongSupplier clock)
      throws IOException {
    if (sockets.isEmpty()) {
      throw new IllegalArgumentException("at least one socket");
    }
    if (budget < 1) {
      throw new IllegalArgumentException("budget must be at least 1, was " + budget);
    }
    if (maxDatagram < 1 || maxDatagram > Integer.MAX_VALUE - 1) {
      throw new IllegalArgumentException("max datagram out of range: " + maxDatagram);
    }
    this.sockets = sockets.toArray(new BoundSocket[0]);
    this.handler = Objects.requireNonNull(handler, "handler");
    this.budget = budget;
    this.receiver = new BatchReceiver(batchSize(budget, maxDatagram), maxDatagram);
    this.clock = clock;
    this.stopAtNs =
        stopAfterNs == Long.MAX_VALUE
            ? Long.MAX_VALUE
            : saturatedAdd(clock.getAsLong(), stopAfterNs);
    this.ring = new int[this.sockets.length];
    this.queued = new boolean[this.sockets.length];
    this.socketStats = new SocketStats[this.sockets.length];
    this.selector = AFUNIXSelectorProvider.provider().openSelector();
    for (int i = 0; i < this.sockets.length; i++) {
      socketStats[i] = new SocketStats(this.sockets[i].spec().toString());
      this.sockets[i].channel().register(selector, SelectionKey.OP_READ, i);
    }
  }

  /**
   * A loop with the default clock and no time limit.
   *
   * @param sockets bound sockets
   * @param handler what to do with each datagram
   * @param budget datagrams per socket per turn
   * @param maxDatagram largest datagram kept whole
   * @return the loop
   * @throws IOException when the selector cannot be opened
   */
  public static ReceiveLoop create(
      List<BoundSocket> sockets, DatagramHandler handler, int budget, int maxDatagram)
      throws IOException {
    return new ReceiveLoop(sockets, handler, budget, maxDatagram, Long.MAX_VALUE, System::nanoTime);
  }

  /**
   * Datagrams per receive: the budget, at most {@link #MAX_BATCH}, and no more than fit in
   * {@link #MAX_REGION_BYTES} of datagram slots.
   */
  static int batchSize(int budget, int maxDatagram) {
    long fit = Math.max(1, MAX_REGION_BYTES / maxDatagram);
    return (int) Math.min(Math.min(budget, MAX_BATCH), fit);
  }

  /** Datagrams by sender uid. */
  public SenderStats senders() {
    return senders;
  }

  /** Per-socket counters, in the order the sockets were given. */
  public SocketStats[] socketStats() {
    return socketStats.clone();
  }

  /** How the loop spends its time. */
  public LoopStats stats() {
    return stats;
  }

  /**
   * Runs the loop on the calling thread until a stop is requested, then performs the lossless
   * stop. Returns when the sockets are closed.
   */
  @Override
  public void run() {
    if (!state.compareAndSet(NEW, RUNNING)) {
      throw new IllegalStateException("the loop runs once");
    }
    loopThread = Thread.currentThread();
    try {
      startTimer();
      running.countDown();
      while (!stopRequested) {
        try {
          doWork();
        } catch (ClosedSelectorException e) {
          LOG.error("selector closed unexpectedly; stopping");
          break;
        } catch (IOException | RuntimeException e) {
          stats.loopError();
          errorLog.warn("loop:" + e.getClass().getName(), "receive loop error: " + e);
        } catch (Error e) {
          // out of memory, most likely: stop the normal way (the reserve Fatal frees gives room)
          stats.loopError();
          Fatal.report("the receive loop", e);
          break;
        }
      }
    } finally {
      stopAndDrain();
    }
  }

  /**
   * Starts the loop on a new thread named {@code udsink-receiver}.
   *
   * @return the thread
   */
  public Thread start() {
    Thread t = new Thread(this, "udsink-receiver");
    t.start();
    return t;
  }

  /**
   * Asks the loop to stop; the loop wakes at once. Safe from any thread, including a signal
   * handler's, and from the handler itself.
   */
  public void requestStop() {
    stopRequested = true;
    selector.wakeup();
  }

  /**
   * Asks the loop to stop for a handover: the sockets are neither shut down nor removed (another
   * instance reads them now); the loop reads each until a receive finds it empty, runs the
   * handler's stop, and closes only its own descriptors. Safe from any thread.
   */
  public void requestRelease() {
    releaseRequested = true;
    stopRequested = true;
    selector.wakeup();
  }

  /**
   * Waits until the loop runs: its sockets are registered and it is about to read them.
   *
   * @param timeout how long to wait
   * @param unit its unit
   * @return true when it runs (or already stopped)
   * @throws InterruptedException when interrupted
   */
  public boolean awaitRunning(long timeout, TimeUnit unit) throws InterruptedException {
    return running.await(timeout, unit) || terminated.getCount() == 0;
  }

  /**
   * Waits until the loop has stopped and closed its sockets.
   *
   * @param timeout how long to wait
   * @param unit its unit
   * @return true if it stopped in time
   * @throws InterruptedException when interrupted
   */
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return terminated.await(timeout, unit);
  }

  /**
   * Stops the loop with nothing lost and waits for it. If the loop never ran, performs the stop
   * on this thread. Idempotent.
   */
  @Override
  public void close() {
    requestStop();
    if (state.compareAndSet(NEW, STOPPED)) {
      stopAndDrain();
      return;
    }
    if (Thread.currentThread() == loopThread && terminated.getCount() > 0) {
      return; // called from the handler on the loop's own thread: run() finishes the stop
    }
    boolean interrupted = false;
    while (true) {
      try {
        terminated.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * One pass: wait for readiness if nothing is ready, serve one round, re-poll.
   *
   * @return datagrams handled in this pass
   * @throws IOException when the selector fails
   */
  int doWork() throws IOException {
    stats.iteration();
    if (!timerStarted) {
      startTimer(); // driven pass by pass (a test) rather than by run()
    }
    long now = clock.getAsLong();
    if (now >= timerDeadlineNs) {
      for (SocketStats st : socketStats) {
        st.sampleDepth();
      }
      timerDeadlineNs = handler.onTimer(now);
    }
    if (now >= stopAtNs) {
      stopRequested = true;
      return 0;
    }
    if (size == 0) {
      blockingSelect(now);
      if (size == 0) {
        return 0;
      }
    }
    int work = serveRound();
    if (size > 0 && size < sockets.length && !stopRequested) {
      stats.nonBlockingSelect();
      if (selector.selectNow() > 0) {
        admit(true);
      }
    }
    return work;
  }

  /** The handler's first timer call, once, before the first receive. */
  private void startTimer() {
    timerStarted = true;
    timerDeadlineNs = handler.onTimer(clock.getAsLong());
  }

  private void blockingSelect(long now) throws IOException {
    long deadline = Math.min(timerDeadlineNs, stopAtNs);
    stats.blockingSelect();
    int n;
    if (deadline == Long.MAX_VALUE) {
      n = selector.select();
    } else {
      // junixsocket's select(0) does not block: wait at least 1 ms, rounding up.
      long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - now + 999_999));
      n = selector.select(ms);
    }
    if (n > 0) {
      admit(false);
    }
  }

  private void admit(boolean front) {
    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
    while (it.hasNext()) {
      SelectionKey key = it.next();
      it.remove();
      int i = (Integer) key.attachment();
      if (!queued[i]) {
        queued[i] = true;
        if (front) {
          head = (head - 1 + ring.length) % ring.length;
          ring[head] = i;
        } else {
          ring[(head + size) % ring.length] = i;
        }
        size++;
      }
    }
  }

  private int serveRound() {
    int n = size;
    int work = 0;
    for (int k = 0; k < n; k++) {
      int i = ring[head];
      head = (head + 1) % ring.length;
      size--;
      int got = serve(i, budget);
      if (got < 0) {
        queued[i] = false;
        work += -got - 1;
      } else {
        ring[(head + size) % ring.length] = i;
        size++;
        work += got;
      }
    }
    return work;
  }

  /**
   * Reads up to {@code max} datagrams from socket {@code i}.
   *
   * @return the count read if the socket may have more, or {@code -(count + 1)} if a receive
   *     found it empty (or failed)
   */
  private int serve(int i, int max) {
    BoundSocket socket = sockets[i];
    BatchReceiver r = receiver;
    SocketStats st = socketStats[i];
    long bytes = 0;
    int truncated = 0;
    int count = 0;
    boolean empty = false;
    try {
      while (count < max) {
        int asked = Math.min(r.capacity(), max - count);
        int n = socket.receive(r, asked);
        st.depthSeen(n);
        for (int k = 0; k < n; k++) {
          bytes += r.length(k);
          boolean cut = r.truncated(k);
          if (cut) {
            truncated++;
          }
          senders.add(r.uid(k), 1);
          deliver(i, r.datagram(k), cut, r.pid(k), r.uid(k), r.gid(k));
        }
        if (n > 0) {
          endBatch();
        }
        count += n;
        if (n < asked) {
          if (n == 0) {
            stats.emptyRead();
          }
          empty = true; // a short batch: the queue was empty when the receive returned
          break;
        }
      }
    } catch (IOException e) {
      st.addError();
      errorLog.warn("read:" + i, "receive on " + socket + " failed: " + e);
      empty = true;
    }
    st.add(count, bytes, truncated);
    return empty ? -(count + 1) : count;
  }

  private void deliver(int i, ByteBuffer buf, boolean cut, int pid, int uid, int gid) {
    try {
      handler.onDatagram(i, buf, cut, pid, uid, gid);
    } catch (RuntimeException e) {
      stats.handlerError();
      errorLog.warn("handler:" + e.getClass().getName(), "datagram handler failed: " + e);
    } catch (Error e) {
      if (!draining) {
        throw e;
      }
      // during the stop's drain every datagram is still read and counted, whatever happens
      stats.handlerError();
      errorLog.warn("handler:" + e.getClass().getName(), "datagram handler failed: " + e);
    }
  }

  private void endBatch() {
    try {
      handler.onBatchEnd();
    } catch (RuntimeException e) {
      stats.handlerError();
      errorLog.warn("handler:" + e.getClass().getName(), "datagram handler failed: " + e);
    }
  }

  private void stopAndDrain() {
    draining = true;
    boolean release = releaseRequested;
    try {
      for (BoundSocket s : sockets) {
        if (release || s.isInherited()) {
          continue; // shared with the next instance: it must go on accepting
        }
        try {
          s.shutdownInput();
        } catch (IOException e) {
          LOG.error(
              "socket {}: shutdown for reading failed ({}); draining anyway", s, e.toString());
        }
      }
      long shareDeadline = clock.getAsLong() + SHARED_DRAIN_NS;
      for (int i = 0; i < sockets.length; i++) {
        if (release || sockets[i].isInherited()) {
          // Read until a receive finds it empty (bounded in time: senders may keep it full);
          // whatever comes later waits in the kernel queue for the instance that reads next.
          while (serve(i, BATCH) >= 0 && clock.getAsLong() < shareDeadline) {
            stats.iteration();
          }
        } else {
          // After SHUT_RD nothing new is queued, so this ends; Integer.MAX_VALUE is no real bound.
          serve(i, Integer.MAX_VALUE);
        }
      }
      LOG.debug(
          "stopped: iterations={} blockingSelects={} nonBlockingSelects={} emptyReads={}",
          stats.iterations(),
          stats.blockingSelects(),
          stats.nonBlockingSelects(),
          stats.emptyReads());
      try {
        handler.onStop();
      } catch (RuntimeException | Error e) {
        stats.handlerError();
        LOG.error("datagram handler failed at stop", e);
      }
    } finally {
      try {
        selector.close();
      } catch (IOException e) {
        LOG.debug("selector close failed", e);
      }
      receiver.close();
      for (BoundSocket s : sockets) {
        if (release) {
          s.release();
        } else {
          s.close();
        }
      }
      state.set(STOPPED);
      running.countDown();
      terminated.countDown();
    }
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
