package io.udsink.collector.export;

import java.util.concurrent.TimeUnit;

/**
 * The pause before an output tries again after a failure: 100 ms, doubling after each failure
 * up to 5 s, back to 100 ms after a success. One instance per retrying thread.
 */
public final class Backoff {
  /** The first pause. */
  public static final long MIN_NS = TimeUnit.MILLISECONDS.toNanos(100);

  /** The longest pause. */
  public static final long MAX_NS = TimeUnit.SECONDS.toNanos(5);

  private long nextNs = MIN_NS;

  /** The pause to take now; the one after it is twice as long, up to {@link #MAX_NS}. */
  public long failed() {
    long now = nextNs;
    nextNs = Math.min(MAX_NS, nextNs * 2);
    return now;
  }

  /** A success: the next failure pauses {@link #MIN_NS} again. */
  public void succeeded() {
    nextNs = MIN_NS;
  }
}
