package io.udsink.collector.aggregate;

/**
 * udsink's own counters, counted on the receive loop's thread. Exposed as
 * {@code udsink_<name>_total} on {@code /metrics} and as {@code udsink.<name>} telemetry lines.
 */
public enum Counter {
  /** Datagrams received. */
  DATAGRAMS("datagrams", "Datagrams received"),
  /** Bytes received. */
  BYTES("bytes", "Bytes received"),
  /** Lines parsed (valid or not), and JSON datagrams. */
  LINES("lines", "Lines parsed, valid or not"),
  /** Datagrams longer than --max-datagram, cut. */
  TRUNCATED("truncated_datagrams", "Datagrams longer than the maximum, cut to it"),
  /**
   * Samples dropped because --max-series series already exist in the interval, or because a new
   * gauge would make more than --max-series gauges remembered.
   */
  DROPPED_SERIES("dropped_samples_max_series",
      "Samples dropped because the interval already held --max-series series (or as many gauges "
          + "were remembered)"),
  /** Samples a mapping rule dropped ({@code action: drop}, or a name that expands to nothing). */
  MAPPING_DROPPED("mapping_dropped_samples",
      "Samples the mapping dropped (action: drop, or a name that expanded to nothing)"),
  /** Events received. */
  EVENTS("events", "Events received"),
  /** Service checks received. */
  SERVICE_CHECKS("service_checks", "Service checks received"),
  /** Events and service checks dropped over the per-interval limit. */
  DROPPED_EVENTS("dropped_events", "Events and service checks dropped over the per-interval limit");

  private final String metric;
  private final String help;

  Counter(String metric, String help) {
    this.metric = metric;
    this.help = help;
  }

  /** The name after {@code udsink_} / {@code udsink.}. */
  public String metric() {
    return metric;
  }

  /** One line of help text. */
  public String help() {
    return help;
  }
}
