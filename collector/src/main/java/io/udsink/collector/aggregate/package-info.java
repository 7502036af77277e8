/**
 * Aggregation: parsed lines into series, per flush interval.
 *
 * <p>In: {@link io.udsink.collector.parse.MetricLine}s (after the mapping, where one is
 * configured). Out: at every flush an {@link io.udsink.collector.aggregate.Interval} of
 * {@link io.udsink.collector.aggregate.Series}, handed to the export side without waiting;
 * intervals merge when an output is behind.
 */
package io.udsink.collector.aggregate;
