package io.udsink.collector.aggregate;

import io.udsink.collector.parse.Event;
import io.udsink.collector.parse.ParseError;
import io.udsink.collector.parse.ServiceCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * What one or more flush intervals produced, handed by the receive loop to the outputs. An
 * interval from the loop is shared by every output and never written after the hand-off; an
 * output that falls behind merges the intervals it could not take yet into one it owns
 * ({@link #merge}), so that a slow output coarsens time resolution and loses no sample.
 *
 * @param startMs when the (first merged) interval began (epoch ms)
 * @param endMs when the (last merged) interval was flushed (epoch ms)
 * @param series the series updated in the interval
 * @param events the events received
 * @param serviceChecks the service checks received
 * @param counters cumulative {@link Counter} values at the end of the interval
 * @param parseErrors cumulative parse errors by {@link ParseError} ordinal
 * @param last true for the final interval, at stop
 * @param intervals how many loop intervals this one covers (1 unless merged)
 * @param mergeDropped samples, events and service checks given up when merging went beyond the
 *     series or event limits
 * @param timed samples that carry their own time (DogStatsD 1.3 {@code |T}, counters and
 *     gauges), one series each, in arrival order: written with that time, never merged into the
 *     interval's series
 */
public record Interval(
    long startMs,
    long endMs,
    Series[] series,
    List<Event> events,
    List<ServiceCheck> serviceChecks,
    long[] counters,
    long[] parseErrors,
    boolean last,
    int intervals,
    long mergeDropped,
    List<Series> timed) {

  /**
   * An interval straight from the loop.
   */
  public Interval(
      long startMs,
      long endMs,
      Series[] series,
      List<Event> events,
      List<ServiceCheck> serviceChecks,
      long[] counters,
      long[] parseErrors,
      boolean last) {
    this(
        startMs,
        endMs,
        series,
        events,
        serviceChecks,
        counters,
        parseErrors,
        last,
        1,
        0,
        List.of());
  }

  /**
   * An interval straight from the loop, with samples that carry their own time.
   */
  public Interval(
      long startMs,
      long endMs,
      Series[] series,
      List<Event> events,
      List<ServiceCheck> serviceChecks,
      long[] counters,
      long[] parseErrors,
      boolean last,
      List<Series> timed) {
    this(startMs, endMs, series, events, serviceChecks, counters, parseErrors, last, 1, 0, timed);
  }

  /** JSON lines and telemetry lines this interval makes, not counting udsink's own. */
  public long lineCount() {
    return series.length + events.size() + serviceChecks.size() + timed.size();
  }

  /**
   * Merges a later interval into an earlier one: counters add, gauges take the later value,
   * sets unite, sketches merge, events and service checks are kept in order.
   *
   * @param earlier the earlier interval
   * @param earlierOwned true when nobody else holds {@code earlier}: its series are then changed
   *     in place instead of copied
   * @param later the later interval, which is not changed
   * @param maxSeries most series in the result; the samples of further series are given up and
   *     counted in {@link #mergeDropped}
   * @return the merged interval, owned by the caller
   */
  public static Interval merge(
      Interval earlier, boolean earlierOwned, Interval later, int maxSeries) {
    KeyTable<Series> table = new KeyTable<>(earlier.series.length + later.series.length);
    List<Series> out = new ArrayList<>(Math.max(earlier.series.length, later.series.length));
    for (Series s : earlier.series) {
      Series c = earlierOwned ? s : s.copy();
      table.put(c);
      out.add(c);
    }
    long dropped = earlier.mergeDropped + later.mergeDropped;
    for (Series s : later.series) {
      Series mine = table.get(s.key, s.key.length, s.hash);
      if (mine != null) {
        mine.mergeFrom(s);
      } else if (out.size() < maxSeries) {
        Series c = s.copy();
        table.put(c);
        out.add(c);
      } else {
        dropped += Math.max(1, s.samples);
      }
    }
    List<Event> events = new ArrayList<>(earlier.events);
    List<ServiceCheck> checks = new ArrayList<>(earlier.serviceChecks);
    for (Event e : later.events) {
      if (events.size() + checks.size() < Aggregator.MAX_EVENTS_PER_INTERVAL) {
        events.add(e);
      } else {
        dropped++;
      }
    }
    for (ServiceCheck c : later.serviceChecks) {
      if (events.size() + checks.size() < Aggregator.MAX_EVENTS_PER_INTERVAL) {
        checks.add(c);
      } else {
        dropped++;
      }
    }
    List<Series> timed = new ArrayList<>(earlier.timed);
    for (Series s : later.timed) {
      if (timed.size() < Aggregator.MAX_EVENTS_PER_INTERVAL) {
        timed.add(s); // never changed after the interval is taken: shared as it is
      } else {
        dropped++;
      }
    }
    return new Interval(
        earlier.startMs,
        later.endMs,
        out.toArray(new Series[0]),
        events,
        checks,
        later.counters,
        later.parseErrors,
        later.last,
        earlier.intervals + later.intervals,
        dropped,
        timed);
  }
}
