package io.udsink.collector.export.cumulative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.Promtool;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.AggregatorTest;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.ServeHarness;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.jsonl.JsonLines;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.StatsdParser;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CumulativeStateTest {
  private final Aggregator agg = new Aggregator(1000, 10, 0, (r, b, s, e) -> {});
  private final StatsdParser parser =
      new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
  private final Telemetry telemetry = new Telemetry();
  private final CumulativeState state = new CumulativeState(60_000, 1000, telemetry);

  private void interval(long endMs, String datagram) {
    interval(parser, agg, telemetry, state, endMs, datagram);
  }

  private String text() throws Exception {
    return text(state);
  }

  /** Parses the lines, ends the interval at {@code endMs} and applies it to the state. */
  static void interval(
      StatsdParser parser,
      Aggregator agg,
      Telemetry telemetry,
      CumulativeState state,
      long endMs,
      String lines) {
    byte[] b = lines.getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    Interval iv = agg.takeInterval(endMs, false);
    telemetry.onInterval(iv);
    state.apply(iv);
  }

  /** The state in the text format. */
  static String text(CumulativeState state) throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter(false)
        .write(out, state.snapshot());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void shouldSanitiseNamesAndTurnTagsIntoLabels() throws Exception {
    interval(
        1000,
        "api.req-time:5|g|#host.name:web-1,canary,quantile:x,__meta:y\n"
            + "9lives:1|c\nreq_total:2|c\nenv:1|c|#env:b,env:a\nempty:1|c|#k:,:v");
    String text = text();
    Map<String, Double> m = ServeHarness.parseExposition(text);
    assertEquals(
        5.0,
        m.get(
            // a tag without a value is left out, as statsd_exporter leaves it out
            "api_req_time{host_name=\"web-1\",tag__meta=\"y\",tag_quantile=\"x\"}"),
        text);
    assertEquals(1.0, m.get("_9lives_total"));
    assertEquals(2.0, m.get("req_total"), "a _total suffix is not doubled");
    assertEquals(1.0, m.get("env_total{env=\"a\"}"), "of a key given twice the last wins");
    assertEquals(1.0, m.get("empty_total"), "an empty key or value is no label");
    interval(2000, "down:-2|c\ndown2:-1|c\ndown2:3|c");
    m = ServeHarness.parseExposition(text());
    assertEquals(null, m.get("down_total"), "only negative increments: no series");
    assertEquals(3.0, m.get("down2_total"), "the positive increments of a mixed one");
  }

  @Test
  void shouldKeepCountersCumulativeAndGiveAnotherTypeItsOwnName() throws Exception {
    interval(1000, "x:2|c\nx.y:1|g");
    interval(2000, "x:3|c\nx:7|g\nx:4|ms");
    Map<String, Double> m = ServeHarness.parseExposition(text());
    assertEquals(5.0, m.get("x_total"));
    assertEquals(7.0, m.get("x_g"));
    assertEquals(1.0, m.get("x_h_count"));
    assertEquals(0.004, m.get("x_h_sum"), 1e-12, "a timer in seconds");
    assertEquals(1.0, m.get("x_h_bucket{le=\"0.005\"}"));
    assertEquals(0.0, m.get("x_h_bucket{le=\"0.0025\"}") == null ? 0.0 : 1.0);
  }

  @Test
  void shouldExpireSeriesNotUpdatedWithinTheTtl() throws Exception {
    interval(1000, "old:1|g\nkept:1|g");
    interval(50_000, "kept:2|g");
    assertTrue(text().contains("old "));
    interval(62_000, "kept:3|g");
    Map<String, Double> m = ServeHarness.parseExposition(text());
    assertNull(m.get("old"));
    assertEquals(3.0, m.get("kept"));
  }

  @Test
  void shouldShowTelemetryAndNotLetAUserMetricTakeItsName() throws Exception {
    interval(1000, "udsink.flushes:9|g\nbad|c");
    String text = text();
    Map<String, Double> m = ServeHarness.parseExposition(text);
    assertEquals(9.0, m.get("udsink_flushes_g"));
    assertEquals(1.0, m.get("udsink_parse_errors_total{reason=\"missing_value\"}"));
    assertTrue(text.contains("udsink_build_info{"), text);
    assertFalse(m.containsKey("udsink_flushes"));
  }

  /**
   * The JVM's families are reserved from a written-out list (a registration at start-up would
   * cost a thread and the management beans): it is exactly what the library registers.
   */
  @Test
  void shouldReserveExactlyTheFamiliesTheJvmMetricsRegister() {
    var r = new io.prometheus.metrics.model.registry.PrometheusRegistry();
    io.prometheus.metrics.instrumentation.jvm.JvmMetrics.builder().register(r);
    java.util.Set<String> registered = new java.util.TreeSet<>();
    for (var m : r.scrape()) {
      String kind =
          m instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot
              ? "COUNTER"
              : m instanceof io.prometheus.metrics.model.snapshots.HistogramSnapshot
                  ? "HISTOGRAM"
                  : m instanceof io.prometheus.metrics.model.snapshots.SummarySnapshot
                      ? "SUMMARY"
                      : m instanceof io.prometheus.metrics.model.snapshots.InfoSnapshot
                          ? "INFO"
                          : "GAUGE";
      registered.add(kind + " " + m.getMetadata().getPrometheusName());
    }
    assertEquals(registered, new java.util.TreeSet<>(JvmFamilies.ALL));
  }

  @Test
  void shouldNotLetAUserMetricTakeAJvmFamilysName() throws Exception {
    interval(1000, "jvm_threads_current:3|g\nprocess_cpu_seconds:1|c\njvm.runtime.info:1|g");
    Map<String, Double> m = ServeHarness.parseExposition(text());
    assertFalse(m.containsKey("jvm_threads_current"), m.toString());
    assertFalse(m.containsKey("process_cpu_seconds_total"), m.toString());
    assertFalse(m.containsKey("jvm_runtime_info"), m.toString());
    assertEquals(
        3, m.keySet().stream().filter(k -> !k.startsWith("udsink_")).count(), m.toString());
  }

  @Test
  void shouldCountNegativeIncrementsInsteadOfFailingTheEndpoint() throws Exception {
    byte[] json =
        "{\"name\":\"x\",\"type\":\"counter\",\"value\":-3}".getBytes(StandardCharsets.UTF_8);
    parser.parse(json, 0, json.length);
    interval(1000, "x:-1|c\nx:5|c");
    interval(2000, "x:-1|c");
    String text = text();
    Promtool.check(text);
    Map<String, Double> m = ServeHarness.parseExposition(text);
    assertEquals(5.0, m.get("x_total"), text);
    assertEquals(3.0, m.get("udsink_prometheus_negative_increments_total"), text);
  }

  @Test
  void shouldGiveEveryMixOfNamesAndTypesItsOwnValidFamily() throws Exception {
    interval(
        1000,
        "fa:1|c\nfa_gauge:2|ms\nfa:3|g\nfa_sum:1|g\nfa:4|ms\nfa_total:5|g\n"
            + "fa_count:6|s\nfa:7|s\nfa_created:8|c\nfa_bucket:9|h\nudsink_flushes_total:1|c");
    String text = text();
    Promtool.check(text);
    Map<String, Double> m = ServeHarness.parseExposition(text);
    // counters first, then gauges, sets, timers, histograms; within a type by name
    assertEquals(9.0, m.get("fa_total"), text); // fa_created sanitises to fa: they add up
    assertEquals(3.0, m.get("fa_g"), text); // fa_total sanitises to fa: the first by name shows
    assertEquals(1.0, m.get("fa_sum"), text);
    assertEquals(1.0, m.get("fa_count"), text);
    assertEquals(1.0, m.get("fa_s"), text);
    assertEquals(1.0, m.get("fa_gauge_count"), text);
    assertEquals(0.002, m.get("fa_gauge_sum"), 1e-12, text);
    assertEquals(9.004, m.get("fa_h_sum"), 1e-9, text); // timer fa (s) and histogram fa_bucket
    assertEquals(2.0, m.get("fa_h_count"), text);
    assertEquals(1.0, m.get("udsink_flushes_c_total"), text);
  }

  @Test
  void shouldGiveBackTheNamesOfExpiredSeries() throws Exception {
    int baseline = state.namesHeld();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      sb.append("n").append(i).append(":1|c\nt").append(i).append(":1|ms\n");
    }
    interval(1000, sb.toString());
    assertEquals(1000, state.size());
    assertTrue(state.namesHeld() >= baseline + 500 * 3 + 500 * 5);
    interval(100_000, "other:1|g");
    assertEquals(1, state.size());
    assertEquals(baseline + 1, state.namesHeld());
  }

  @Test
  void shouldLeaveOutASeriesItCannotShowAndKeepTheRest() throws Exception {
    byte[] b = "good:1|c\nbad:1|ms".getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    Interval iv = agg.takeInterval(1000, false);
    AggregatorTest.breakSeries(AggregatorTest.find(iv, "bad", MetricType.TIMER)); // a bug
    telemetry.onInterval(iv);
    state.apply(iv);
    String text = text();
    Promtool.check(text);
    Map<String, Double> m = ServeHarness.parseExposition(text);
    assertEquals(1.0, m.get("good_total"));
    assertEquals(1.0, m.get("udsink_series_errors_total{reason=\"failed\"}"));
    String json =
        new String(
            JsonLines.format(iv, java.util.List.of(), telemetry).bytes(), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"good\"") && !json.contains("\"bad\""), json);
    assertEquals(2, telemetry.value(io.udsink.collector.export.TelemetryMetric.SERIES_ERRORS));
  }

  @Test
  void shouldStreamAHandedOverStateKeepingNoMoreThanMaxSeries() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      sb.append("s").append(i).append(":1|c\n");
      if (sb.length() > 8000) {
        interval(1000, sb.toString());
        sb.setLength(0);
      }
    }
    interval(1000, sb.toString());
    CumulativeState big = new CumulativeState(60_000, 5000, new Telemetry());
    // the state of an instance with more series than this one keeps
    byte[] exported = state.exportState();
    Telemetry t = new Telemetry();
    CumulativeState small = new CumulativeState(60_000, 100, t);
    small.importState(new java.io.ByteArrayInputStream(exported));
    assertEquals(0, small.size(), "handed over, not yet continued");
    assertEquals(
        900,
        t.value(io.udsink.collector.export.TelemetryMetric.PROMETHEUS_DROPPED_SERIES),
        "the rest counted as dropped: "
            + t.value(io.udsink.collector.export.TelemetryMetric.PROMETHEUS_DROPPED_SERIES));
    big.importState(new java.io.ByteArrayInputStream(exported));
    assertTrue(text(big).contains("s999_total 1.0"));
    // a state cut short is an error for the caller to report; what came before it is kept
    CumulativeState cut = new CumulativeState(60_000, 5000, new Telemetry());
    org.junit.jupiter.api.Assertions.assertThrows(
        java.io.IOException.class,
        () -> cut.importState(new java.io.ByteArrayInputStream(exported, 0, exported.length / 2)));
    long kept = text(cut).lines().filter(l -> l.matches("s\\d+_total 1\\.0")).count();
    assertTrue(kept > 0 && kept < 1000, "the series read before the cut: " + kept);
  }
}
