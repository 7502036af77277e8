package io.udsink.collector.export;

import io.udsink.collector.aggregate.Interval;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands finished intervals from the receive loop to every output, each through its own
 * {@link OutputWorker}: on the loop's thread, without waiting, without merging (a worker's
 * {@link OutputWorker#offer} only adds to its inbox), so that the loop never waits on an output
 * and no output waits on another.
 *
 * <p>At stop, {@link #finish} hands over the final interval and waits, up to a deadline, for
 * every output to write it; what an output could not write by then is counted and reported.
 */
public final class Flusher implements IntervalSink {
  private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);

  private final List<OutputWorker> workers;
  private final Telemetry telemetry;
  private volatile boolean abortWait;

  /**
   * Creates the flusher; {@link #start()} starts every worker's thread.
   *
   * @param workers one per output
   * @param telemetry updated with each interval's counters as soon as it is handed over
   */
  public Flusher(List<OutputWorker> workers, Telemetry telemetry) {
    this.workers = List.copyOf(workers);
    this.telemetry = telemetry;
    telemetry.watch(this.workers);
  }

  /** Starts the workers' threads. */
  public void start() {
    workers.forEach(OutputWorker::start);
  }

  /**
   * Hands an interval to every output without waiting. Called by the receive loop.
   *
   * @param iv the interval, no longer touched by the caller
   */
  @Override
  public void offer(Interval iv) {
    telemetry.onInterval(iv);
    for (OutputWorker w : workers) {
      try {
        w.offer(iv);
      } catch (RuntimeException e) {
        LOG.error(
            "could not hand the interval ending {} to output {}", iv.endMs(), w.output().name(), e);
      }
    }
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
  @Override
  public Result finish(Interval last, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    offer(last);
    long unwritten = 0;
    List<String> stuck = new ArrayList<>();
    for (OutputWorker w : workers) {
      if (!w.awaitFinished(deadline, () -> abortWait)) {
        long lines = w.unwrittenLines();
        unwritten += lines;
        stuck.add(w.output().name());
        LOG.error(
            "output {} {}: {} lines not written",
            w.output().name(),
            w.dead()
                ? "failed (fatal error)"
                : abortWait
                    ? "did not finish before the stop was " + "forced"
                    : "did not finish within " + timeoutMs + " ms",
            lines);
      }
    }
    return new Result(unwritten, stuck);
  }

  /** Ends a {@link #finish} wait at once (a second stop signal). */
  public void abortWait() {
    abortWait = true;
  }
}
