/**
 * The JSON lines output.
 *
 * <p>In: intervals. Out: one JSON object per series, event, service check and telemetry value,
 * appended to a file, a FIFO or standard output, every line once and whole.
 */
package io.udsink.collector.export.jsonl;
