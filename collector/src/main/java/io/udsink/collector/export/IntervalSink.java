package io.udsink.collector.export;

import io.udsink.collector.aggregate.Interval;

/** Where the intake hands finished intervals: the {@link Flusher}, in {@code udsink serve}. */
public interface IntervalSink {
  /**
   * Hands an interval over without waiting.
   *
   * @param iv the interval, no longer touched by the caller
   */
  void offer(Interval iv);

  /**
   * Hands over the final interval and waits, up to a deadline, until it is written.
   *
   * @param last the final interval
   * @param timeoutMs how long to wait
   * @return what could not be written
   * @throws InterruptedException when interrupted while waiting
   */
  Flusher.Result finish(Interval last, long timeoutMs) throws InterruptedException;
}
