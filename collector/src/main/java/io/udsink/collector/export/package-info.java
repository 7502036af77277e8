/**
 * Export: finished intervals to every destination, each on its own thread.
 *
 * <p>In: {@link io.udsink.collector.aggregate.Interval}s from the loop. Out: one
 * {@link io.udsink.collector.export.OutputWorker} per {@link io.udsink.collector.export.Output}
 * (JSON lines, Prometheus, remote write), none waiting on another, and udsink's telemetry.
 */
package io.udsink.collector.export;
