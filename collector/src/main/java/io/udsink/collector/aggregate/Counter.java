package io.udsink.collector.aggregate;

/**
 * What the aggregation counts, on the receive loop's thread, cumulative in every
 * {@link Interval}. The export side's telemetry catalogue names and shows each.
 */
public enum Counter {
  /** Lines parsed (valid or not), and JSON datagrams. */
  LINES,
  /**
   * Samples dropped because --max-series series already exist in the interval, or because a new
   * gauge would make more than --max-series gauges remembered.
   */
  DROPPED_SERIES,
  /** Samples a mapping rule dropped ({@code action: drop}, or a name that expands to nothing). */
  MAPPING_DROPPED,
  /** Events received. */
  EVENTS,
  /** Service checks received. */
  SERVICE_CHECKS,
  /** Events and service checks dropped over the per-interval limit. */
  DROPPED_EVENTS,
  /** Samples with their own time dropped over the per-interval limit. */
  DROPPED_TIMED
}
