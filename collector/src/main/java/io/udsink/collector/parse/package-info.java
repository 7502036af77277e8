/**
 * Parsing: StatsD, DogStatsD and JSON datagrams.
 *
 * <p>In: the bytes of one datagram. Out: each valid metric line as one reusable view
 * ({@link io.udsink.collector.parse.MetricLine}, a flyweight over the datagram's bytes), events
 * and service checks to a {@link io.udsink.collector.parse.MetricSink}; each rejected line with
 * its {@link io.udsink.collector.parse.ParseError} reason.
 */
package io.udsink.collector.parse;
