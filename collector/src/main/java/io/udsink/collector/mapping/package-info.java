/**
 * Mapping: statsd_exporter's mapping file, read as it is.
 *
 * <p>In: a StatsD name and type, when a series is first seen in an interval. Out: a
 * {@link io.udsink.collector.mapping.Mapped} result (Prometheus name, labels, observer type,
 * scale, TTL, help, or drop), cached per name and type. Reloaded on SIGHUP and on
 * {@code POST /-/reload}; a file that does not check keeps the rules in force.
 */
package io.udsink.collector.mapping;
