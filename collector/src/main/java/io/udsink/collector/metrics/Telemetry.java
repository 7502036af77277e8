package io.udsink.collector.metrics;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * udsink's view of itself for {@code /metrics}: the loop's {@link Counter}s and parse errors as
 * of the last interval handed to the outputs (updated by the flusher, whatever the outputs do),
 * and each output's state, read live from its worker, so that a stuck output shows while it is
 * stuck.
 */
public final class Telemetry {
  private volatile long[] counters = new long[Counter.values().length];
  private volatile long[] parseErrors = new long[ParseError.values().length];
  private volatile long liveSeries;
  private volatile List<OutputWorker> workers = List.of();
  private final AtomicLong intervals = new AtomicLong();
  /** Series the Prometheus state did not take because --max-series were shown. */
  final AtomicLong promDroppedSeries = new AtomicLong();
  /** Negative counter increments Prometheus did not add (a counter only grows). */
  final AtomicLong promNegativeIncrements = new AtomicLong();
  /** Series an output skipped because turning them into output failed. */
  final AtomicLong seriesErrors = new AtomicLong();

  /** Takes the loop's cumulative counters from an interval. Called by the flusher thread. */
  void onInterval(Interval iv) {
    counters = iv.counters();
    parseErrors = iv.parseErrors();
    liveSeries = iv.series().length;
    intervals.incrementAndGet();
  }

  void watch(List<OutputWorker> outputs) {
    this.workers = List.copyOf(outputs);
  }

  /** The outputs' workers. */
  public List<OutputWorker> workers() {
    return workers;
  }

  /** A cumulative loop counter as of the last interval. */
  public long counter(Counter c) {
    return counters[c.ordinal()];
  }

  /** Cumulative parse errors of one reason as of the last interval. */
  public long parseErrors(ParseError r) {
    return parseErrors[r.ordinal()];
  }

  /** Intervals handed to the outputs. */
  public long flushes() {
    return intervals.get();
  }

  /** Series in the last interval. */
  public long liveSeries() {
    return liveSeries;
  }

  /** Series an output skipped because they could not be turned into output. */
  public long seriesErrors() {
    return seriesErrors.get();
  }

  /** Negative counter increments left out of Prometheus counters. */
  public long promNegativeIncrements() {
    return promNegativeIncrements.get();
  }
}
