/**
 * The Prometheus output: cumulative state and the HTTP endpoint.
 *
 * <p>In: intervals. Out: {@code /metrics} (counters, gauges, histograms and summaries that only
 * grow, as Prometheus expects), served by the Prometheus Java library's exporter handler.
 */
package io.udsink.collector.export.prometheus;
