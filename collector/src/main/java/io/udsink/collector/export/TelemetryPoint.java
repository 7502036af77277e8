package io.udsink.collector.export;

import java.util.List;

/**
 * One value of a {@link TelemetryMetric}: a counter cumulative (continued across a takeover), a
 * gauge as of now.
 *
 * @param metric the metric
 * @param labels the label values, in the order of {@link TelemetryMetric#labels()}
 * @param value the value
 */
public record TelemetryPoint(TelemetryMetric metric, List<String> labels, double value) {
  /** Checks that the labels match the metric's. */
  public TelemetryPoint {
    labels = List.copyOf(labels);
    if (labels.size() != metric.labels().size()) {
      throw new IllegalArgumentException(
          metric + " takes labels " + metric.labels() + ", got " + labels);
    }
  }

  /** The key a takeover hands the value over under: the name, then each label value. */
  public String key() {
    return labels.isEmpty() ? metric.metric() : metric.metric() + "/" + String.join("/", labels);
  }
}
