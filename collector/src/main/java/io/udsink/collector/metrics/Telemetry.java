package io.udsink.collector.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * udsink's view of itself: the loop's {@link Counter}s and parse errors (carried by each
 * {@link Interval}) plus what the flusher counts. Read by the HTTP thread, written by the flusher.
 */
public final class Telemetry {
  /** One telemetry value for JSON lines. */
  public record Line(String name, List<String> tags, double value) {
  }

  private volatile long[] counters = new long[Counter.values().length];
  private volatile long[] parseErrors = new long[ParseError.values().length];
  final AtomicLong flushes = new AtomicLong();
  final AtomicLong sinkErrors = new AtomicLong();
  final AtomicLong sinkDroppedLines = new AtomicLong();
  final AtomicLong promDroppedSeries = new AtomicLong();
  volatile double lastFlushSeconds;
  volatile long liveSeries;
  private long reportedSinkErrors;
  private long reportedDroppedLines;

  /**
   * Takes the loop's cumulative counters from an interval and returns the lines for JSON output:
   * what changed since the previous interval. Called by the flusher thread only.
   */
  List<Line> update(Interval iv) {
    List<Line> lines = new ArrayList<>();
    for (Counter c : Counter.values()) {
      long v = iv.counters()[c.ordinal()];
      lines.add(new Line(c.metric(), List.of(), v - counters[c.ordinal()]));
    }
    for (ParseError r : ParseError.values()) {
      long d = iv.parseErrors()[r.ordinal()] - parseErrors[r.ordinal()];
      if (d > 0) {
        lines.add(new Line("parse_errors", List.of("reason:" + r.label()), d));
      }
    }
    lines.add(new Line("series", List.of(), iv.series().length));
    long se = sinkErrors.get();
    long dl = sinkDroppedLines.get();
    lines.add(new Line("sink_errors", List.of(), se - reportedSinkErrors));
    lines.add(new Line("sink_dropped_lines", List.of(), dl - reportedDroppedLines));
    lines.add(new Line("flush_duration_seconds", List.of(), lastFlushSeconds));
    reportedSinkErrors = se;
    reportedDroppedLines = dl;
    counters = iv.counters();
    parseErrors = iv.parseErrors();
    liveSeries = iv.series().length;
    return lines;
  }

  /** A cumulative loop counter as of the last flush. */
  public long counter(Counter c) {
    return counters[c.ordinal()];
  }

  /** Cumulative parse errors of one reason as of the last flush. */
  public long parseErrors(ParseError r) {
    return parseErrors[r.ordinal()];
  }

  /** Flushes completed. */
  public long flushes() {
    return flushes.get();
  }

  /** Failed writes to a sink. */
  public long sinkErrors() {
    return sinkErrors.get();
  }

  /** Lines a sink could not write and had to give up on. */
  public long sinkDroppedLines() {
    return sinkDroppedLines.get();
  }
}
