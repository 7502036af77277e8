package io.udsink.collector.export.cumulative;

import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.parse.MetricType;
import java.util.List;

/** The kinds of family {@code /metrics} shows, and the names each occupies. */
enum PromKind {
  /** {@code x_total} (and {@code x_created}). */
  COUNTER("c"),
  /**
   * {@code x}: a counter a mapping file names without {@code _total}, shown untyped under the
   * exact name, as statsd_exporter shows it (a counter family always ends in {@code _total}).
   */
  UNTYPED("u"),
  /** {@code x}: a gauge. */
  GAUGE("g"),
  /** {@code x}: a set's distinct count, shown as a gauge, its own family. */
  SET("s"),
  /** {@code x_bucket}, {@code x_sum}, {@code x_count}, native buckets. */
  HISTOGRAM("h"),
  /** {@code x{quantile}}, {@code x_sum}, {@code x_count}. */
  SUMMARY("q");

  private final String suffix;

  PromKind(String suffix) {
    this.suffix = suffix;
  }

  /**
   * What a family takes after its name when the name is taken: a short code, never a Prometheus
   * type word (which {@code promtool} flags in a name).
   */
  String suffix() {
    return suffix;
  }

  /** The kind a StatsD type has, under an observer spec. */
  static PromKind of(MetricType type, ObserverSpec observer) {
    switch (type) {
      case COUNTER:
        return COUNTER;
      case GAUGE:
        return GAUGE;
      case SET:
        return SET;
      default:
        return observer.kind() == ObserverSpec.Kind.SUMMARY ? SUMMARY : HISTOGRAM;
    }
  }

  /** Every name a family of this kind called {@code n} occupies, in every format. */
  List<String> occupied(String n) {
    switch (this) {
      case COUNTER:
        return List.of(n, n + "_total", n + "_created");
      case GAUGE:
      case SET:
      case UNTYPED:
        return List.of(n);
      case HISTOGRAM:
        return List.of(
            n, n + "_bucket", n + "_sum", n + "_count", n + "_created", n + "_gcount", n + "_gsum");
      default:
        return List.of(n, n + "_sum", n + "_count", n + "_created");
    }
  }
}
