package io.udsink.collector.export.cumulative;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.export.TelemetryPoint;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * udsink's own metrics as the Prometheus library's snapshots: one family per
 * {@link TelemetryMetric}, for {@code /metrics} and remote write alike. A metric with labels and
 * no value yet is shown as a family without points.
 */
public final class TelemetrySnapshots {
  private TelemetrySnapshots() {}

  /**
   * Renders a telemetry snapshot.
   *
   * @param points {@link io.udsink.collector.export.Telemetry#snapshot()}
   * @return one snapshot per metric of the catalogue that has points or labels
   */
  public static List<MetricSnapshot> render(List<TelemetryPoint> points) {
    Map<TelemetryMetric, List<TelemetryPoint>> byMetric = new EnumMap<>(TelemetryMetric.class);
    for (TelemetryPoint p : points) {
      byMetric.computeIfAbsent(p.metric(), m -> new ArrayList<>()).add(p);
    }
    List<MetricSnapshot> out = new ArrayList<>();
    for (TelemetryMetric m : TelemetryMetric.values()) {
      List<TelemetryPoint> ps = byMetric.getOrDefault(m, List.of());
      if (ps.isEmpty() && m.labels().isEmpty()) {
        continue; // a value nothing gives here (no mapping file, no /metrics state)
      }
      MetricMetadata meta = new MetricMetadata(m.prometheusName(), m.help());
      switch (m.type()) {
        case COUNTER -> {
          List<CounterDataPointSnapshot> dp = new ArrayList<>();
          ps.forEach(p -> dp.add(new CounterDataPointSnapshot(p.value(), labels(p), null, 0)));
          out.add(new CounterSnapshot(meta, dp));
        }
        case GAUGE -> {
          List<GaugeDataPointSnapshot> dp = new ArrayList<>();
          ps.forEach(p -> dp.add(new GaugeDataPointSnapshot(p.value(), labels(p), null)));
          out.add(new GaugeSnapshot(meta, dp));
        }
        case INFO -> {
          List<InfoDataPointSnapshot> dp = new ArrayList<>();
          ps.forEach(p -> dp.add(new InfoDataPointSnapshot(labels(p))));
          out.add(new InfoSnapshot(meta, dp));
        }
      }
    }
    return out;
  }

  private static Labels labels(TelemetryPoint p) {
    if (p.labels().isEmpty()) {
      return Labels.EMPTY;
    }
    Labels.Builder b = Labels.builder();
    for (int i = 0; i < p.labels().size(); i++) {
      b.label(p.metric().labels().get(i), p.labels().get(i));
    }
    return b.build();
  }
}
