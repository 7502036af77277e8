package io.udsink.collector.export;

import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.util.Fatal;
import io.udsink.collector.util.RateLimitedLog;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread of one {@link Output}, with an inbox of the intervals it has not taken yet.
 *
 * <pre>
 *   receive loop --offer--> [ inbox ] --take, merge--> output.write(...)   (may block, may fail)
 *                           a busy output's inbox is merged by a helper thread; a failed write
 *                           goes back in front of the inbox
 * </pre>
 *
 * <ul>
 *   <li>{@link #offer} is called by the receive loop at every flush and never waits for the
 *       output nor merges: it adds the interval to the inbox. The worker merges what it takes
 *       ({@link Interval#merge}) on its own thread. While it is busy with a write, an inbox of
 *       more than {@value #MERGE_AT} intervals is merged by a helper (virtual) thread, so a
 *       blocked or failing output costs time resolution, never samples, and holds at most a few
 *       intervals, whatever the time it stays stuck.</li>
 *   <li>A write that fails with nothing written puts its interval back in front; the worker
 *       retries after a {@link Backoff} or when a new interval arrives, whichever is later. A
 *       write cut short is finished by the output itself ({@link Output#writeHeld}).</li>
 *   <li>Telemetry (backlog, age of the oldest unwritten data, errors) is readable at any time,
 *       also while the output is stuck.</li>
 * </ul>
 */
public final class OutputWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputWorker.class);

  /** Intervals an inbox holds before a helper merges it while the output is busy. */
  static final int MERGE_AT = 1;

  private final Output output;
  private final int maxSeries;
  private final Thread thread;
  private final RateLimitedLog errorLog = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong merged = new AtomicLong();
  private final AtomicLong mergeDropped = new AtomicLong();

  // guarded by this
  /** The earliest unwritten interval, owned (changed in place by a merge) or shared. */
  private Interval head;

  private boolean headOwned;

  /** Later intervals as handed over, shared with the other outputs, in order. */
  private final ArrayDeque<Interval> inbox = new ArrayDeque<>();

  /** Intervals taken off the inbox by a merge under way, not yet merged. */
  private long mergingLines;

  private int mergingIntervals;
  private boolean merging;
  private Interval inFlight;
  private boolean lastTaken;
  private boolean finished;
  private boolean dead;
  private volatile int backlog;
  private boolean reopenRequested;
  private volatile long oldestUnwrittenNs;

  /**
   * Creates the worker; {@link #start()} starts its thread.
   *
   * @param output the output it feeds
   * @param maxSeries most series a merged interval keeps
   */
  public OutputWorker(Output output, int maxSeries) {
    this.output = output;
    this.maxSeries = maxSeries;
    this.thread = new Thread(this, "udsink-output-" + output.name());
    this.thread.setDaemon(true); // a write stuck in the kernel must not keep the process alive
  }

  /** The output this worker feeds. */
  public Output output() {
    return output;
  }

  /** Starts the thread. */
  public void start() {
    thread.start();
  }

  /**
   * Hands an interval over without waiting for the output and without merging. Called by one
   * thread (the receive loop).
   *
   * @param iv the interval, shared: it is never changed
   */
  public void offer(Interval iv) {
    synchronized (this) {
      if (finished) {
        return;
      }
      inbox.add(iv);
      if (oldestUnwrittenNs == 0) {
        oldestUnwrittenNs = System.nanoTime();
      }
      if (inFlight != null && !merging && inbox.size() > MERGE_AT) {
        merging = true;
        Thread.ofVirtual().name("udsink-merge-" + output.name()).start(this::mergeInbox);
      }
      updateBacklog();
      notifyAll();
    }
  }

  /** Merges the head and the inbox into one interval, off the loop's and the worker's threads. */
  private void mergeInbox() {
    try {
      while (true) {
        Taken taken;
        synchronized (this) {
          if (inbox.size() <= MERGE_AT || dead) {
            merging = false;
            notifyAll();
            return;
          }
          taken = takeAll();
        }
        Interval m = mergeAll(taken);
        synchronized (this) {
          if (head == null) {
            head = m;
            headOwned = true;
          } else {
            inbox.addFirst(m); // a failed write put its interval back in front meanwhile
          }
          mergingLines = 0;
          mergingIntervals = 0;
          updateBacklog();
          notifyAll();
        }
      }
    } catch (Error e) {
      synchronized (this) {
        dead = true;
        merging = false;
        notifyAll();
      }
      Fatal.report("merging for output " + output.name(), e);
    }
  }

  /** The head (may be null) and the inbox as taken for a merge, in order. */
  private record Taken(Interval first, boolean owned, Interval[] later) {
    /** True when the merge's result may be changed in place: no other output holds it. */
    boolean owns(Interval merged) {
      return merged == first ? owned : merged != later[0];
    }
  }

  /** Takes the head and the whole inbox, counted as being merged. Called with the lock held. */
  private Taken takeAll() {
    Taken t = new Taken(head, headOwned, inbox.toArray(Interval[]::new));
    inbox.clear();
    head = null;
    mergingLines = (t.first() == null ? 0 : t.first().lineCount()) + lines(t.later());
    mergingIntervals = (t.first() == null ? 0 : t.first().intervals()) + intervals(t.later());
    return t;
  }

  /** Merges what was taken, in order, into one interval. */
  private Interval mergeAll(Taken t) {
    Interval m = t.first();
    boolean mOwned = t.owned();
    for (Interval iv : t.later()) {
      if (m == null) {
        m = iv;
        mOwned = false;
      } else {
        m = merge(m, mOwned, iv);
        mOwned = true;
      }
    }
    return m;
  }

  private static long lines(Interval[] ivs) {
    long n = 0;
    for (Interval iv : ivs) {
      n += iv.lineCount();
    }
    return n;
  }

  private static int intervals(Interval[] ivs) {
    int n = 0;
    for (Interval iv : ivs) {
      n += iv.intervals();
    }
    return n;
  }

  @Override
  public void run() {
    Backoff backoff = new Backoff();
    long retryAtNs = 0;
    try {
      while (true) {
        Taken taken;
        boolean reopen;
        synchronized (this) {
          reopen = reopenRequested;
          reopenRequested = false;
        }
        if (reopen) {
          output.reopen();
        }
        synchronized (this) {
          while (true) {
            if (reopenRequested) {
              break;
            }
            if (lastTaken && !output.holds()) {
              finished = true;
              oldestUnwrittenNs = 0;
              notifyAll();
              return;
            }
            long wait = retryAtNs - System.nanoTime();
            boolean work = !merging && (head != null || !inbox.isEmpty() || output.holds());
            if (work && wait <= 0) {
              break;
            }
            if (work) {
              TimeUnit.NANOSECONDS.timedWait(this, wait);
            } else {
              wait();
            }
          }
          if (reopenRequested) {
            continue;
          }
          taken = output.holds() ? null : takeAll();
        }
        Interval iv = taken == null ? null : mergeAll(taken);
        boolean ivOwned = taken != null && taken.owns(iv);
        if (iv != null) {
          synchronized (this) {
            inFlight = iv;
            mergingLines = 0;
            mergingIntervals = 0;
            updateBacklog();
          }
        }
        try {
          if (iv == null) {
            output.writeHeld();
          } else {
            output.write(iv);
            writes.incrementAndGet();
          }
          backoff.succeeded();
          retryAtNs = 0;
          synchronized (this) {
            settle(iv);
          }
        } catch (Output.HeldException e) {
          failed(e);
          synchronized (this) {
            settle(iv); // the output holds the rest of it
          }
          retryAtNs = System.nanoTime() + backoff.failed();
        } catch (IOException | RuntimeException e) {
          failed(e);
          synchronized (this) {
            if (iv != null) {
              inFlight = null;
              // back in front, unmerged: the next take merges it with what came meanwhile
              if (head != null) {
                inbox.addFirst(head); // merged by the helper meanwhile; copied when merged again
              }
              head = iv;
              headOwned = ivOwned;
              updateBacklog();
            }
          }
          retryAtNs = System.nanoTime() + backoff.failed();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Error e) {
      synchronized (this) {
        dead = true;
        notifyAll();
      }
      Fatal.report("output " + output.name(), e);
    } finally {
      output.close();
    }
  }

  private Interval merge(Interval earlier, boolean owned, Interval later) {
    Interval m = Interval.merge(earlier, owned, later, maxSeries);
    merged.incrementAndGet();
    mergeDropped.addAndGet(m.mergeDropped() - earlier.mergeDropped() - later.mergeDropped());
    return m;
  }

  private void settle(Interval iv) {
    if (iv != null) {
      inFlight = null;
      lastTaken |= iv.last();
    }
    if (head == null && inbox.isEmpty() && mergingIntervals == 0 && !output.holds()) {
      oldestUnwrittenNs = 0;
    }
    updateBacklog();
  }

  private void updateBacklog() {
    int n =
        (head == null ? 0 : head.intervals())
            + mergingIntervals
            + (inFlight == null ? 0 : inFlight.intervals());
    for (Interval iv : inbox) {
      n += iv.intervals();
    }
    backlog = n;
  }

  private void failed(Exception e) {
    errors.incrementAndGet();
    errorLog.warn(
        "output",
        output.name()
            + " output failed: "
            + e.getMessage()
            + (e instanceof Output.HeldException ? "" : "; keeping its data to retry"));
  }

  /**
   * Waits until the final interval is written.
   *
   * @param deadlineNs {@link System#nanoTime()} to give up at
   * @param abort ends the wait early when it returns true (checked at least every 100 ms)
   * @return true when the final interval was written
   */
  public boolean awaitFinished(long deadlineNs, java.util.function.BooleanSupplier abort)
      throws InterruptedException {
    synchronized (this) {
      while (!finished) {
        long left = deadlineNs - System.nanoTime();
        if (left <= 0 || dead || abort.getAsBoolean()) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, Backoff.MIN_NS));
      }
      return true;
    }
  }

  /** Lines handed to this output and not written: pending, in flight, or held. */
  public long unwrittenLines() {
    synchronized (this) {
      long n =
          (head == null ? 0 : head.lineCount())
              + mergingLines
              + (inFlight == null ? 0 : inFlight.lineCount())
              + output.heldLines();
      for (Interval iv : inbox) {
        n += iv.lineCount();
      }
      return n;
    }
  }

  /** Asks the output to let go of its file and open the path again (SIGHUP). */
  public void requestReopen() {
    synchronized (this) {
      reopenRequested = true;
      notifyAll();
    }
  }

  /** Intervals in the inbox, not yet merged (for tests of the bound). */
  synchronized int inboxSize() {
    return inbox.size();
  }

  /** True when the worker's thread died of a fatal error. */
  public synchronized boolean dead() {
    return dead;
  }

  /** Intervals written. */
  public long writes() {
    return writes.get();
  }

  /** Failed writes. */
  public long errors() {
    return errors.get();
  }

  /** Intervals merged into another because the output was busy or failing. */
  public long mergedIntervals() {
    return merged.get();
  }

  /** Samples, events and service checks given up when merging went beyond --max-series. */
  public long mergeDropped() {
    return mergeDropped.get();
  }

  /** Intervals handed over and not yet written (merged ones count each). */
  public int backlogIntervals() {
    return backlog;
  }

  /** Seconds the oldest unwritten data has waited; 0 when everything is written. */
  public double oldestUnwrittenSeconds() {
    long t = oldestUnwrittenNs;
    long queued = output.unsentSinceNs();
    if (queued != 0 && (t == 0 || queued - t < 0)) {
      t = queued;
    }
    return t == 0 ? 0 : (System.nanoTime() - t) / 1e9;
  }
}
