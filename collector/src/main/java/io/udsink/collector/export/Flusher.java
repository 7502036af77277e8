package io.udsink.collector.export;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.udsink.collector.aggregate.Interval;

/**
 * Hands finished intervals from the receive loop to every output, each through its own
 * {@link OutputWorker}, so that the loop never waits on an output and no output waits on
 * another. Merging the intervals a slow output could not take yet is done here, off the loop's
 * thread.
 *
 * <p>At stop, {@link #finish} hands over the final interval and waits, up to a deadline, for
 * every output to write it; what an output could not write by then is counted and reported.
 */
public final class Flusher implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);

  private final LinkedBlockingQueue<Interval> queue = new LinkedBlockingQueue<>();
  private final List<OutputWorker> workers;
  private final Telemetry telemetry;
  private final Thread thread;
  private volatile boolean abortWait;

  /**
   * Creates the flusher; {@link #start()} starts its thread and every worker's.
   *
   * @param workers one per output
   * @param telemetry updated with each interval's loop counters as soon as it is handed over
   */
  public Flusher(List<OutputWorker> workers, Telemetry telemetry) {
    this.workers = List.copyOf(workers);
    this.telemetry = telemetry;
    this.thread = new Thread(this, "udsink-flusher");
    this.thread.setDaemon(true);
    telemetry.watch(this.workers);
  }

  /** Starts the flusher's thread and the workers'. */
  public void start() {
    workers.forEach(OutputWorker::start);
    thread.start();
  }

  /**
   * Hands an interval over without waiting. Called by the receive loop.
   *
   * @param iv the interval, no longer touched by the caller
   */
  public void offer(Interval iv) {
    queue.add(iv);
  }

  /** The result of a stop: what the outputs could not write in time. */
  public record Result(long unwrittenLines, List<String> stuckOutputs) {
    /** True when every output wrote everything. */
    public boolean complete() {
      return stuckOutputs.isEmpty();
    }
  }

  /**
   * Hands over the final interval and waits until every output has written it, or the deadline
   * passes, or {@link #abortWait()} is called.
   *
   * @param last the final interval ({@code last} set)
   * @param timeoutMs how long to wait
   * @return what could not be written
   */
  public Result finish(Interval last, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    if (thread.isAlive()) {
      queue.add(last);
    } else { // the flusher's thread died (a fatal error): hand over from here
      for (Interval iv = queue.poll(); iv != null; iv = queue.poll()) {
        hand(iv);
      }
      hand(last);
    }
    long unwritten = 0;
    List<String> stuck = new ArrayList<>();
    for (OutputWorker w : workers) {
      if (!w.awaitFinished(deadline, () -> abortWait)) {
        long lines = w.unwrittenLines();
        unwritten += lines;
        stuck.add(w.output().name());
        LOG.error("output {} {}: {} lines not written", w.output().name(),
            w.dead() ? "failed (fatal error)" : abortWait ? "did not finish before the stop was "
                + "forced" : "did not finish within " + timeoutMs + " ms", lines);
      }
    }
    return new Result(unwritten, stuck);
  }

  /** Ends a {@link #finish} wait at once (a second stop signal). */
  public void abortWait() {
    abortWait = true;
  }

  @Override
  public void run() {
    while (true) {
      Interval iv;
      try {
        iv = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      hand(iv);
      if (iv.last()) {
        return;
      }
    }
  }

  private void hand(Interval iv) {
    telemetry.onInterval(iv);
    for (OutputWorker w : workers) {
      try {
        w.offer(iv);
      } catch (RuntimeException e) {
        LOG.error("could not hand the interval ending {} to output {}", iv.endMs(),
            w.output().name(), e);
      }
    }
  }
}
