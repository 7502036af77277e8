package io.udsink.collector.metrics;

/**
 * Receives what the parser finds. {@link #metric} passes offsets into the parser's arrays, which
 * are reused for the next line: copy what must be kept.
 */
interface MetricSink {
  /**
   * One valid metric line.
   *
   * @param line the bytes all offsets refer to
   * @param nameStart start of the name
   * @param nameEnd end of the name (exclusive)
   * @param type the metric type
   * @param values the values (for sets, unused)
   * @param deltas for gauges, whether value i adjusts the last value instead of setting it
   * @param memberStarts for sets, where member i starts
   * @param memberEnds for sets, where member i ends
   * @param valueCount how many values (or members)
   * @param sampleRate in (0, 1]; 1 when absent
   * @param tagStarts where tag i starts; tags are sorted and distinct
   * @param tagEnds where tag i ends
   * @param tagCount how many tags
   */
  void metric(byte[] line, int nameStart, int nameEnd, MetricType type, double[] values,
      boolean[] deltas, int[] memberStarts, int[] memberEnds, int valueCount, double sampleRate,
      int[] tagStarts, int[] tagEnds, int tagCount);

  /** A valid event. */
  void event(Event event);

  /** A valid service check. */
  void serviceCheck(ServiceCheck check);

  /**
   * A metric from a JSON datagram (the slow path).
   *
   * @param name the name
   * @param type the type
   * @param values the values (gauges: absolute)
   * @param members for sets, the members; otherwise null
   * @param sampleRate in (0, 1]
   * @param tags {@code k:v} or bare tags, any order
   */
  void jsonMetric(String name, MetricType type, double[] values, String[] members,
      double sampleRate, String[] tags);
}
