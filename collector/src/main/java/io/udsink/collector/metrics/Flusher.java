package io.udsink.collector.metrics;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that turns finished intervals into output, so that the receive loop never waits on
 * a sink: JSON lines first, then the Prometheus state. The loop hands intervals over through a
 * small queue; if the flusher is so far behind that the queue is full, the interval is dropped
 * and counted ({@link Counter#DROPPED_FLUSHES}) rather than blocking intake.
 */
public final class Flusher implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);

  private final BlockingQueue<Interval> queue = new ArrayBlockingQueue<>(4);
  private final JsonLinesSink jsonSink;
  private final PrometheusState prometheus;
  private final Telemetry telemetry;
  private final Thread thread;

  /**
   * Creates the flusher; {@link #start()} starts its thread.
   *
   * @param jsonSink where JSON lines go, or null for none
   * @param prometheus the Prometheus state, or null for none
   * @param telemetry the shared telemetry
   */
  public Flusher(JsonLinesSink jsonSink, PrometheusState prometheus, Telemetry telemetry) {
    this.jsonSink = jsonSink;
    this.prometheus = prometheus;
    this.telemetry = telemetry;
    this.thread = new Thread(this, "udsink-flusher");
  }

  /** Starts the thread. */
  public void start() {
    thread.start();
  }

  /**
   * Hands an interval over without waiting.
   *
   * @return false if the flusher was too far behind and the interval was dropped
   */
  public boolean offer(Interval iv) {
    return queue.offer(iv);
  }

  /**
   * Hands over the last interval and waits until everything has been written.
   *
   * @param iv the final interval ({@code last} set)
   * @param timeoutMs how long to wait for the sinks
   * @return true if the flusher finished in time
   */
  public boolean finish(Interval iv, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    if (!queue.offer(iv, timeoutMs, TimeUnit.MILLISECONDS)) {
      return false;
    }
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    thread.join(Math.max(1, left));
    return !thread.isAlive();
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
      try {
        flush(iv);
      } catch (RuntimeException e) {
        LOG.error("flush failed", e);
      }
      if (iv.last()) {
        if (jsonSink != null) {
          jsonSink.close();
        }
        return;
      }
    }
  }

  /** One interval: JSON lines, then Prometheus. Also usable without the thread, in tests. */
  void flush(Interval iv) {
    long t0 = System.nanoTime();
    var lines = telemetry.update(iv);
    if (jsonSink != null) {
      jsonSink.write(JsonLines.format(iv, lines));
    }
    if (prometheus != null) {
      prometheus.apply(iv);
    }
    telemetry.lastFlushSeconds = (System.nanoTime() - t0) / 1e9;
    telemetry.flushes.incrementAndGet();
  }
}
