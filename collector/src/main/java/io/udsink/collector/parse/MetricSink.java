package io.udsink.collector.parse;

/** Receives what the parser finds. */
public interface MetricSink {
  /**
   * One valid metric line. The view is the parser's and is refilled for the next line: copy what
   * must be kept.
   *
   * @param line the parsed line
   */
  void metric(MetricLine line);

  /** A valid event. */
  void event(Event event);

  /** A valid service check. */
  void serviceCheck(ServiceCheck check);
}
