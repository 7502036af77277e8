package io.udsink.collector.export.cumulative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.NativeHistogramBucket;
import io.udsink.collector.Promtool;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.export.ServeHarness;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.parse.StatsdParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Timers, histograms and distributions as Prometheus reads them: the exposition parsed back and
 * checked against every sample sent, across intervals, for each observer type; and a mapping
 * file's names and labels on the way.
 */
class HistogramExpositionTest {
  @TempDir Path dir;

  private Aggregator agg;
  private StatsdParser parser;
  private final Telemetry telemetry = new Telemetry();
  private final CumulativeState state = new CumulativeState(3_600_000, 10_000, telemetry);

  private void setUp(MapperRef mapper) {
    agg = new Aggregator(10_000, 10, 0, (r, b, s, e) -> {}, mapper, true);
    parser = new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
  }

  private void setUp(ObserverSpec.Kind kind) {
    setUp(MapperRef.none(ObserverSpec.defaults(kind)));
  }

  private void setUp(String mappingYaml) throws Exception {
    Path f = dir.resolve("mapping.yml");
    Files.writeString(f, mappingYaml);
    setUp(MapperRef.load(f, 1000));
  }

  private void interval(long endMs, String lines) {
    CumulativeStateTest.interval(parser, agg, telemetry, state, endMs, lines);
  }

  private String text() throws Exception {
    return CumulativeStateTest.text(state);
  }

  private HistogramSnapshot.HistogramDataPointSnapshot point(String family) {
    for (MetricSnapshot s : state.snapshot()) {
      if (s.getMetadata().getName().equals(family)) {
        return ((HistogramSnapshot) s).getDataPoints().get(0);
      }
    }
    return null;
  }

  /** Random latencies in ms, spread over four orders of magnitude. */
  private static List<Double> latencies(Random rnd, int n) {
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v.add(Math.round(Math.exp(rnd.nextGaussian() * 1.5 + 3.5) * 1000) / 1000.0);
    }
    return v;
  }

  private static String timerLines(String name, List<Double> ms) {
    StringBuilder sb = new StringBuilder();
    for (double v : ms) {
      sb.append(name).append(':').append(v).append("|ms\n");
    }
    return sb.toString();
  }

  private static void checkClassic(Map<String, Double> m, String family, List<Double> seconds) {
    assertEquals(seconds.size(), m.get(family + "_count"), family + "_count");
    double sum = seconds.stream().mapToDouble(Double::doubleValue).sum();
    assertEquals(sum, m.get(family + "_sum"), Math.abs(sum) * 1e-9, family + "_sum");
    double previous = 0;
    for (double le : ObserverSpec.DEFAULT_BUCKETS) {
      long expected = seconds.stream().filter(x -> x <= le).count();
      String key = family + "_bucket{le=\"" + le + "\"}";
      assertEquals((double) expected, m.get(key), key);
      assertTrue(m.get(key) >= previous, "buckets are cumulative");
      previous = m.get(key);
    }
    assertEquals((double) seconds.size(), m.get(family + "_bucket{le=\"+Inf\"}"));
  }

  @Test
  void shouldShowClassicBucketsThatCountEverySampleAndOnlyGrow() throws Exception {
    setUp(ObserverSpec.Kind.HISTOGRAM);
    Random rnd = new Random(7);
    List<Double> seconds = new ArrayList<>();
    for (int round = 1; round <= 3; round++) {
      List<Double> ms = latencies(rnd, 500);
      ms.forEach(v -> seconds.add(v * 0.001));
      interval(round * 1000L, timerLines("api.latency", ms));
      String text = text();
      Promtool.checkStructure(text);
      checkClassic(ServeHarness.parseExposition(text), "api_latency", seconds);
    }
    interval(4000, "");
    checkClassic(ServeHarness.parseExposition(text()), "api_latency", seconds);
    assertFalse(point("api_latency").hasNativeHistogramData(), "histogram: classic buckets only");
  }

  @Test
  void shouldPutEverySampleInItsNativeBucketAndKeepClassicAlongside() throws Exception {
    setUp(ObserverSpec.Kind.NATIVE);
    Random rnd = new Random(11);
    List<Double> seconds = new ArrayList<>();
    for (int round = 1; round <= 2; round++) {
      List<Double> ms = latencies(rnd, 2000);
      ms.forEach(v -> seconds.add(v * 0.001));
      interval(round * 1000L, timerLines("db.query", ms) + "db.query:0|ms\n");
      seconds.add(0.0);
    }
    HistogramSnapshot.HistogramDataPointSnapshot p = point("db_query");
    assertNotNull(p);
    int schema = p.getNativeSchema();
    assertEquals(
        ObserverSpec.schemaFor(ObserverSpec.DEFAULT_BUCKET_FACTOR),
        schema,
        "the default bucket factor, 1.1, gives schema 3");
    Map<Integer, Long> expected = new HashMap<>();
    long zeros = 0;
    for (double x : seconds) {
      if (x == 0) {
        zeros++;
      } else {
        // bucket i holds (base^(i-1), base^i], base = 2^(2^-schema)
        int i = (int) Math.ceil(Math.log(x) / Math.log(2) * Math.pow(2, schema) - 1e-9);
        expected.merge(i, 1L, Long::sum);
      }
    }
    Map<Integer, Long> got = new HashMap<>();
    for (NativeHistogramBucket b : p.getNativeBucketsForPositiveValues()) {
      got.put(b.getBucketIndex(), b.getCount());
    }
    assertEquals(expected, got);
    assertEquals(zeros, p.getNativeZeroCount());
    assertEquals(seconds.size(), p.getCount());
    checkClassic(ServeHarness.parseExposition(text()), "db_query", seconds);
  }

  @Test
  void shouldHalveTheResolutionRatherThanExceedTheMostBuckets() throws Exception {
    setUp(
        """
        defaults:
          observer_type: histogram
          histogram_options:
            native_histogram_max_buckets: 20
        mappings: []
        """);
    StringBuilder lines = new StringBuilder();
    long n = 0;
    for (double v = 1e-6; v < 1e6; v *= 1.07) {
      lines.append("wide:").append(v).append("|h\n");
      n++;
    }
    interval(1000, lines.toString());
    HistogramSnapshot.HistogramDataPointSnapshot p = point("wide");
    assertTrue(
        p.getNativeBucketsForPositiveValues().size() <= 20,
        "buckets: " + p.getNativeBucketsForPositiveValues().size());
    assertTrue(p.getNativeSchema() < 3, "schema " + p.getNativeSchema());
    long total = 0;
    for (NativeHistogramBucket b : p.getNativeBucketsForPositiveValues()) {
      total += b.getCount();
    }
    assertEquals(n, total, "no sample is lost when buckets merge");
  }

  @Test
  void shouldSlideTheSummaryWindowInsteadOfFreezingTheLastInterval() throws Exception {
    setUp(
        """
        mappings:
        - match: "job.*"
          name: "job_seconds"
          labels:
            job: "$1"
          summary_options:
            max_age: 30s
            age_buckets: 3
        """);
    StringBuilder slow = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      slow.append("job.a:").append(1000 + i % 100).append("|ms\n");
    }
    interval(1000, slow.toString());
    Map<String, Double> m = ServeHarness.parseExposition(text());
    assertEquals(1.05, m.get("job_seconds{job=\"a\",quantile=\"0.5\"}"), 0.02);
    StringBuilder fast = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      fast.append("job.a:").append(1 + i % 10).append("|ms\n");
    }
    interval(45_000, fast.toString());
    m = ServeHarness.parseExposition(text());
    assertEquals(
        0.0055,
        m.get("job_seconds{job=\"a\",quantile=\"0.5\"}"),
        0.001,
        "the slow samples left the window");
    assertEquals(2000.0, m.get("job_seconds_count{job=\"a\"}"), "the count keeps growing");
    interval(120_000, "");
    assertNull(
        ServeHarness.parseExposition(text()).get("job_seconds{job=\"a\",quantile=\"0.5\"}"),
        "an empty window shows no quantile rather than a stale one");
  }

  @Test
  void shouldApplyTheMappingsNamesLabelsAndScaleAndKeepCounterNamesAsWritten() throws Exception {
    setUp(
        """
        mappings:
        - match: "test.dispatcher.*.*"
          name: "dispatcher_events_total"
          labels:
            processor: "$1"
            outcome: "$2"
            env: "from_mapping"
        - match: "hits.*"
          name: "hits"
          honor_labels: true
          labels:
            env: "default_env"
            page: "$1"
        - match: "disk.*"
          name: "disk_bytes"
          scale: 1024
        - match: "skip.*"
          action: drop
          name: "x"
        """);
    interval(
        1000,
        "test.dispatcher.Foo.ok:2|c|#env:from_tag,region:eu\n"
            + "hits.home:3|c|#env:staging\nhits.about:1|c\n"
            + "disk.sda:2|g\nskip.me:5|c\nplain.name:4|c\n");
    String text = text();
    Promtool.checkStructure(text);
    Map<String, Double> m = ServeHarness.parseExposition(text);
    assertEquals(
        2.0,
        m.get(
            "dispatcher_events_total{env=\"from_mapping\",outcome=\"ok\","
                + "processor=\"Foo\",region=\"eu\"}"),
        text);
    assertEquals(3.0, m.get("hits{env=\"staging\",page=\"home\"}"), "honor_labels: the tag wins");
    assertEquals(1.0, m.get("hits{env=\"default_env\",page=\"about\"}"));
    assertTrue(text.contains("# TYPE hits untyped"), "a counter named without _total keeps it");
    assertTrue(text.contains("# TYPE dispatcher_events_total counter"), text);
    assertEquals(2048.0, m.get("disk_bytes"));
    assertEquals(4.0, m.get("plain_name"), "unmatched: escaped as statsd_exporter does");
    assertTrue(m.keySet().stream().noneMatch(k -> k.startsWith("skip") || k.equals("x")));
    interval(2000, "hits.home:1|c|#env:staging\n");
    assertEquals(
        4.0,
        ServeHarness.parseExposition(text()).get("hits{env=\"staging\",page=\"home\"}"),
        "still cumulative");
  }
}
