/**
 * The remote-write output: every flush pushed to a Prometheus remote-write receiver.
 *
 * <p>In: intervals. Out: HTTP POSTs of protobuf {@code WriteRequest}s compressed with snappy,
 * carrying the cumulative samples {@code /metrics} would show, at each interval's end time; a
 * bounded queue in between, retried with back-off while the receiver is away.
 */
package io.udsink.collector.export.remotewrite;
