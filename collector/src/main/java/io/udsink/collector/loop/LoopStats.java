package io.udsink.collector.loop;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How the loop spends its time: the test seam for "one wake-up drains a full queue" and "idle
 * means blocked". Written by the loop's thread, readable from any thread.
 */
public final class LoopStats {
  private static final int ITERATIONS = 0;
  private static final int BLOCKING_SELECTS = 1;
  private static final int NONBLOCKING_SELECTS = 2;
  private static final int EMPTY_READS = 3;
  private static final int HANDLER_ERRORS = 4;
  private static final int LOOP_ERRORS = 5;

  private final AtomicLongArray values = new AtomicLongArray(6);

  void inc(int which) {
    values.lazySet(which, values.get(which) + 1);
  }

  void iteration() {
    inc(ITERATIONS);
  }

  void blockingSelect() {
    inc(BLOCKING_SELECTS);
  }

  void nonBlockingSelect() {
    inc(NONBLOCKING_SELECTS);
  }

  void emptyRead() {
    inc(EMPTY_READS);
  }

  void handlerError() {
    inc(HANDLER_ERRORS);
  }

  void loopError() {
    inc(LOOP_ERRORS);
  }

  /** Passes of the loop ({@code doWork} calls). */
  public long iterations() {
    return values.get(ITERATIONS);
  }

  /** Times the loop waited in the selector because no socket was ready. */
  public long blockingSelects() {
    return values.get(BLOCKING_SELECTS);
  }

  /** Non-blocking re-polls made between rounds to admit newly readable sockets. */
  public long nonBlockingSelects() {
    return values.get(NONBLOCKING_SELECTS);
  }

  /** Receives that found a socket empty (each removes that socket from the ready queue). */
  public long emptyReads() {
    return values.get(EMPTY_READS);
  }

  /** Exceptions thrown by the datagram handler (the datagram is counted, the loop goes on). */
  public long handlerErrors() {
    return values.get(HANDLER_ERRORS);
  }

  /** Unexpected errors in a pass of the loop (the loop goes on). */
  public long loopErrors() {
    return values.get(LOOP_ERRORS);
  }
}
