/**
 * The intake: what the receive loop calls for every datagram and at every timer.
 *
 * <p>In: datagrams and timer ticks from {@link io.udsink.collector.loop.ReceiveLoop}. Out:
 * parsed lines aggregated into an {@link io.udsink.collector.aggregate.Interval} per flush,
 * handed to the {@link io.udsink.collector.export.Flusher} without waiting; at stop the final
 * interval, and the wait for the outputs to write it. The one package that sees the loop, the
 * parser, the aggregation and the outputs together, below the command line that builds it.
 */
package io.udsink.collector.runtime;
