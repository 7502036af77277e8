package io.udsink.collector.export;

/**
 * Counts an output with a queue of its own keeps beyond what its worker counts, each shown as
 * {@code udsink_output_<metric>_total{output="..."}}.
 */
public enum OutputCount {
  /** Samples the receiver took. */
  SENT_SAMPLES("sent_samples", "Samples a remote-write receiver took"),
  /** Samples given up because the queue was full. */
  DROPPED_SAMPLES("dropped_samples",
      "Samples given up because more than the queue bound waited to be sent"),
  /** Samples the receiver refused for good. */
  REJECTED_SAMPLES("rejected_samples",
      "Samples a remote-write receiver refused with a 4xx (not retried)"),
  /** Samples a receiver answered with a redirect: none is followed. */
  REDIRECTED_SAMPLES("redirected_samples",
      "Samples a remote-write receiver answered with a redirect (3xx; none is followed, so "
          + "credentials never go to another host)"),
  /** Requests that failed and were retried. */
  FAILED_REQUESTS("failed_requests", "Remote-write requests that failed and were retried");

  private final String metric;
  private final String help;

  OutputCount(String metric, String help) {
    this.metric = metric;
    this.help = help;
  }

  /** The metric name without {@code udsink_output_} and {@code _total}. */
  public String metric() {
    return metric;
  }

  /** The metric's help text. */
  public String help() {
    return help;
  }
}
