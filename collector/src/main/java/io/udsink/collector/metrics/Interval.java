package io.udsink.collector.metrics;

import java.util.List;

/**
 * What one flush interval produced, handed by the receive loop to the flusher. Nothing in it is
 * written after the hand-off.
 *
 * @param startMs when the interval began (epoch ms)
 * @param endMs when it was flushed (epoch ms)
 * @param series the series updated in the interval
 * @param events the events received
 * @param serviceChecks the service checks received
 * @param counters cumulative {@link Counter} values at the end of the interval
 * @param parseErrors cumulative parse errors by {@link ParseError} ordinal
 * @param last true for the final interval, at stop
 */
public record Interval(long startMs, long endMs, Series[] series, List<Event> events,
    List<ServiceCheck> serviceChecks, long[] counters, long[] parseErrors, boolean last) {
}
