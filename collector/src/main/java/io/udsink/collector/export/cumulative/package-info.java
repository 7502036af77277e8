/**
 * The cumulative state both Prometheus outputs show: {@code /metrics} and each remote-write
 * receiver have one.
 *
 * <p>In: finished intervals, applied in order by the output's worker. Out: the Prometheus
 * library's snapshots of every series within its TTL (counters and histograms cumulative, gauges
 * last), beside udsink's own metrics; and, at a takeover, the state as JSON for the next instance.
 * {@link io.udsink.collector.export.cumulative.CumulativeState} holds the series table and the
 * family names, {@link io.udsink.collector.export.cumulative.Families} renders,
 * {@link io.udsink.collector.export.cumulative.StateCodec} hands over.
 */
package io.udsink.collector.export.cumulative;
