package io.udsink.collector.export;

import io.udsink.collector.aggregate.Interval;
import java.io.IOException;

/**
 * A destination of finished intervals: JSON lines, the {@code /metrics} state, each remote-write
 * receiver. Each output runs on its own
 * {@link OutputWorker} thread, so one that blocks or fails never delays another, and the worker
 * merges whatever arrives meanwhile.
 */
public interface Output {
  /** A short name for telemetry and messages, for example {@code jsonl}. */
  String name();

  /**
   * Writes one interval; may block.
   *
   * @param iv the interval (shared with other outputs unless merged: never change it)
   * @throws IOException when nothing of the interval was taken: the worker keeps it, merges what
   *     comes next into it and tries again
   * @throws HeldException when part of it was written and the output holds the rest
   */
  void write(Interval iv) throws IOException;

  /**
   * Writes what an earlier {@link HeldException} left held. Called before the next interval.
   *
   * @throws IOException when it still fails; the output goes on holding the rest
   */
  default void writeHeld() throws IOException {}

  /** True while the output holds part of an interval it must still write. */
  default boolean holds() {
    return false;
  }

  /** Lines the output holds and has not written (reported at a stop that cannot wait). */
  default long heldLines() {
    return 0;
  }

  /**
   * Lets go of the file it writes, so that the next write opens the path again (SIGHUP, after
   * log rotation). Called on the worker's thread.
   */
  default void reopen() {}

  /** Counts the output keeps beyond what its worker counts (none unless it queues). */
  default java.util.Map<TelemetryMetric, Long> counts() {
    return java.util.Map.of();
  }

  /**
   * {@link System#nanoTime()} when the oldest data the output took and has not delivered was
   * taken (an output with its own queue), or 0.
   */
  default long unsentSinceNs() {
    return 0;
  }

  /** Releases what the output holds open. Called once, on the worker's thread, at the end. */
  default void close() {}

  /** Thrown when an interval was written in part; the output holds the rest. */
  final class HeldException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param cause the failure that cut the write short
     */
    public HeldException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }
}
