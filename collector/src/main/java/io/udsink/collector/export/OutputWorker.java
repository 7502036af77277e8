package io.udsink.collector.export;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.udsink.collector.util.Fatal;
import io.udsink.collector.util.RateLimitedLog;
import io.udsink.collector.aggregate.Interval;

/**
 * The thread of one {@link Output}, with a slot for the interval it has not taken yet.
 *
 * <pre>
 *   dispatcher --offer--> [ pending ] --take--> output.write(...)   (may block, may fail)
 *                   busy: merge into pending     failed: merge back in front of pending
 * </pre>
 *
 * <ul>
 *   <li>{@link #offer} never waits for the output: when an interval is still pending, the new one
 *       is merged into it ({@link Interval#merge}), so a blocked or failing output costs time
 *       resolution, never samples, and holds at most two intervals (the one it writes and the
 *       merged one).</li>
 *   <li>A write that fails with nothing written puts its interval back; the worker retries after
 *       a back-off (100 ms doubling to 5 s) or when a new interval arrives, whichever is later.
 *       A write cut short is finished by the output itself ({@link Output#writeHeld}).</li>
 *   <li>Telemetry (backlog, age of the oldest unwritten data, errors) is readable at any time,
 *       also while the output is stuck.</li>
 * </ul>
 */
public final class OutputWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputWorker.class);

  private final Output output;
  private final int maxSeries;
  private final Thread thread;
  private final RateLimitedLog errorLog = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong merged = new AtomicLong();
  private final AtomicLong mergeDropped = new AtomicLong();

  // guarded by this
  private Interval pending;
  private boolean pendingOwned;
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
   * Hands an interval over without waiting for the output; merges it into the pending one when
   * the output has not taken that yet. Called by one thread (the dispatcher).
   *
   * @param iv the interval, shared: it is never changed
   */
  public void offer(Interval iv) {
    synchronized (this) {
      if (finished) {
        return;
      }
      if (pending == null) {
        pending = iv;
        pendingOwned = false;
      } else {
        pending = merge(pending, pendingOwned, iv);
        pendingOwned = true;
      }
      if (oldestUnwrittenNs == 0) {
        oldestUnwrittenNs = System.nanoTime();
      }
      updateBacklog();
      notifyAll();
    }
  }

  @Override
  public void run() {
    Backoff backoff = new Backoff();
    long retryAtNs = 0;
    try {
      while (true) {
        Interval iv;
        boolean owned;
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
            if ((pending != null || output.holds()) && wait <= 0) {
              break;
            }
            if (wait > 0) {
              TimeUnit.NANOSECONDS.timedWait(this, wait);
            } else {
              wait();
            }
          }
          if (reopenRequested) {
            continue;
          }
          iv = output.holds() ? null : pending;
          owned = pendingOwned;
          if (iv != null) {
            pending = null;
            inFlight = iv;
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
              if (pending == null) {
                pending = iv;
                pendingOwned = owned;
              } else {
                pending = merge(iv, owned, pending);
                pendingOwned = true;
              }
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
    if (pending == null && !output.holds()) {
      oldestUnwrittenNs = 0;
    }
    updateBacklog();
  }

  private void updateBacklog() {
    backlog = (pending == null ? 0 : pending.intervals())
        + (inFlight == null ? 0 : inFlight.intervals());
  }

  private void failed(Exception e) {
    errors.incrementAndGet();
    errorLog.warn("output", output.name() + " output failed: " + e.getMessage()
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
      return (pending == null ? 0 : pending.lineCount())
          + (inFlight == null ? 0 : inFlight.lineCount()) + output.heldLines();
    }
  }

  /** Asks the output to let go of its file and open the path again (SIGHUP). */
  public void requestReopen() {
    synchronized (this) {
      reopenRequested = true;
      notifyAll();
    }
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
