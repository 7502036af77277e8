package io.udsink.collector.mapping;

import java.util.Map;

/**
 * What a StatsD name and type become in Prometheus: shared by every series of that name and type
 * (the tags add the rest of the labels).
 *
 * @param drop true when the samples are dropped (a {@code drop} rule, or a name that expands to
 *     nothing)
 * @param name the Prometheus name, escaped
 * @param labels labels the mapping adds, already expanded
 * @param honorLabels true when a tag of the same name wins over the mapping's label
 * @param help the help text, or null for the default
 * @param ttlMs how long the series stays on {@code /metrics} without updates; 0 for the default
 * @param scale what every value is multiplied by (1 when not set)
 * @param observer how timers, histograms and distributions are shown
 * @param matched true when a mapping rule matched
 */
public record Mapped(
    boolean drop,
    String name,
    Map<String, String> labels,
    boolean honorLabels,
    String help,
    long ttlMs,
    double scale,
    ObserverSpec observer,
    boolean matched) {

  /** A dropped sample's result. */
  static Mapped dropped(boolean matched) {
    return new Mapped(true, null, Map.of(), false, null, 0, 1, null, matched);
  }
}
