package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.udsink.collector.TestSupport;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.cumulative.TelemetrySnapshots;
import io.udsink.collector.parse.StatsdParser;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/** One catalogue of udsink's own metrics: every output carries all of it, under one name each. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetryCatalogueTest {
  @TempDir Path dir;

  @Test
  void shouldShowEveryMetricOfTheCatalogueOnMetricsAndInTheJsonLines() throws Exception {
    try (ServeHarness h = new ServeHarness(dir, 50);
        AFUNIXDatagramChannel tx = TestSupport.connect(h.socket)) {
      TestSupport.send(tx, "a:1|c\nbad line\n_e{1,1}:t|x\n");
      TestSupport.await(
          "a flush with the datagram",
          Duration.ofSeconds(20),
          () -> h.telemetry.value(TelemetryMetric.LINES) == 3 && h.telemetry.flushes() >= 2);
      List<TelemetryPoint> points = h.telemetry.snapshot();
      Set<TelemetryMetric> shown = new HashSet<>();
      points.forEach(p -> shown.add(p.metric()));
      for (TelemetryMetric m : TelemetryMetric.values()) {
        if (m != TelemetryMetric.MAPPING_RELOADS
                && m != TelemetryMetric.MAPPING_RULES
                && m != TelemetryMetric.PROMETHEUS_SERIES
                && !m.name().startsWith("OUTPUT_")
            || m == TelemetryMetric.OUTPUT_WRITES) {
          assertTrue(shown.contains(m) || !m.labels().isEmpty(), "in the snapshot: " + m);
        }
      }
      String text = new String(h.scrapeText(), StandardCharsets.UTF_8);
      Set<String> jsonNames = new HashSet<>();
      TestSupport.await(
          "two flushes written as JSON lines",
          Duration.ofSeconds(20),
          () -> {
            jsonNames.clear();
            int flushes = 0;
            try {
              for (JsonNode n : h.lines()) {
                if (n.get("type").asText().equals("telemetry")) {
                  jsonNames.add(n.get("name").asText());
                  flushes += n.get("name").asText().equals("udsink.flushes") ? 1 : 0;
                }
              }
            } catch (java.io.IOException e) {
              return false; // a line being written: read again
            }
            return flushes >= 2;
          });
      for (TelemetryMetric m : shown) {
        String family =
            m.prometheusName()
                + switch (m.type()) {
                  case COUNTER -> "_total";
                  case INFO -> "_info";
                  case GAUGE -> "";
                };
        assertTrue(text.contains("# TYPE " + family + " "), "on /metrics: " + m + "\n" + text);
        if (m.type() != TelemetryMetric.Type.COUNTER || m.labels().isEmpty()) {
          assertTrue(
              jsonNames.contains("udsink." + m.metric()),
              "in the JSON lines: " + m + " " + jsonNames);
        }
      }
      assertEquals(1.0, h.telemetry.value(TelemetryMetric.DATAGRAMS));
      assertEquals(
          1.0,
          h.telemetry.value(TelemetryMetric.PARSE_ERRORS, "missing_value"),
          "per reason: " + points);
      assertEquals(1.0, h.telemetry.value(TelemetryMetric.EVENTS));
      assertEquals(0.0, h.telemetry.value(TelemetryMetric.LOOP_ERRORS));
      assertEquals(0.0, h.telemetry.value(TelemetryMetric.SOCKET_RECEIVE_ERRORS));
    }
  }

  @Test
  void shouldGiveEveryMetricItsOwnPrometheusNameAndHelp() {
    Set<String> names = new HashSet<>();
    for (TelemetryMetric m : TelemetryMetric.values()) {
      assertTrue(names.add(m.prometheusName()), "twice: " + m.prometheusName());
      assertTrue(
          m.prometheusName().matches("udsink_[a-z_]+") && !m.metric().endsWith("_total"),
          m.prometheusName());
      assertTrue(!m.help().isBlank(), m + " has help");
    }
  }

  @Test
  void shouldBeListedWhole() throws Exception {
    // the module runs its tests in collector/; the documentation is beside it
    String doc = java.nio.file.Files.readString(Path.of("..", "docs", "metrics.md"));
    for (TelemetryMetric m : TelemetryMetric.values()) {
      String name =
          m.prometheusName()
              + switch (m.type()) {
                case COUNTER -> "_total";
                case INFO -> "_info";
                case GAUGE -> "";
              };
      assertTrue(doc.contains("| `" + name + "`"), "docs/metrics.md lists " + name);
    }
  }

  @Test
  void shouldContinueCountersAcrossATakeoverAndReportOnlyOwnGrowthAsDeltas() {
    Telemetry before = new Telemetry();
    before.leftOut(SeriesLeftOut.FAILED, "jsonl", "counter x", null);
    Telemetry after = new Telemetry();
    after.importBase(before.exportBase());
    after.leftOut(SeriesLeftOut.FAILED, "jsonl", "counter y", null);
    assertEquals(2.0, after.value(TelemetryMetric.SERIES_ERRORS, "failed"), "continued");
    double own = 0;
    for (TelemetryPoint p : after.ownSnapshot()) {
      if (p.metric() == TelemetryMetric.SERIES_ERRORS && p.labels().get(0).equals("failed")) {
        own = p.value();
      }
    }
    assertEquals(1.0, own, "the deltas of the JSON lines count this instance's only");
  }

  @Test
  void shouldKeepCountersOfLabelsOnlyTheEarlierInstanceHad() throws Exception {
    Telemetry before = new Telemetry();
    before.source(TelemetryMetric.PROMETHEUS_DROPPED_SERIES, () -> 7);
    var base = before.exportBase();
    base.put(TelemetryMetric.DATAGRAMS_BY_UID.metric() + "/1234", 5);
    Telemetry after = new Telemetry();
    after.importBase(base);
    assertEquals(5.0, after.value(TelemetryMetric.DATAGRAMS_BY_UID, "1234"));
    assertEquals(7.0, after.value(TelemetryMetric.PROMETHEUS_DROPPED_SERIES));
    MetricSnapshots rendered = new MetricSnapshots(TelemetrySnapshots.render(after.snapshot()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new PrometheusTextFormatWriter(false).write(out, rendered);
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("udsink_datagrams_by_uid_total{uid=\"1234\"} 5.0"), text);
    assertTrue(text.contains("udsink_prometheus_dropped_series_total 7.0"), text);
  }

  @Test
  void shouldCountWhatAMergeOverMaxSeriesGaveUpPerOutput() throws Exception {
    Aggregator agg = new Aggregator(10, 1, 0, (r, b, s, e) -> {});
    StatsdParser parser = new StatsdParser(agg, agg, Series.MAX_SKETCH_VALUE);
    List<Interval> ivs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      StringBuilder sb = new StringBuilder();
      for (int k = 0; k < 10; k++) {
        sb.append("s").append(i).append('_').append(k).append(":1|c\n");
      }
      byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
      parser.parse(b, 0, b.length);
      ivs.add(agg.takeInterval(1000L * (i + 1), false));
    }
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
    Output blocked =
        new Output() {
          @Override
          public String name() {
            return "blocked";
          }

          @Override
          public void write(Interval iv) throws java.io.IOException {
            writing.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              throw new java.io.IOException(e);
            }
          }
        };
    OutputWorker w = new OutputWorker(blocked, 10);
    w.start();
    w.offer(ivs.get(0));
    assertTrue(writing.await(10, TimeUnit.SECONDS), "the first write under way");
    w.offer(ivs.get(1));
    assertEquals(0, w.mergedIntervals(), "one interval waiting: nothing to merge");
    w.offer(ivs.get(2)); // two waiting while the output is stuck: a helper merges them
    TestSupport.await("the merge", Duration.ofSeconds(10), () -> w.mergedIntervals() == 1);
    assertEquals(10, w.mergeDropped(), "the later interval's 10 new series given up, counted");
    release.countDown();
  }
}
