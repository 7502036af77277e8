package io.udsink.collector.export.cumulative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.udsink.collector.Promtool;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.SeriesLeftOut;
import io.udsink.collector.export.ServeHarness;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.parse.StatsdParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Timers, histograms and distributions where their state is merged or moved: over the whole
 * range of values parsing accepts, across intervals, summary windows and a takeover, for every
 * observer type and option. Counts must be exact, quantiles within the documented error, and no
 * series may be left out.
 */
class ObserverStateTest {
  @TempDir Path dir;

  /** One observer configuration: a mapping file for the name {@code lat}. */
  record Config(String label, String yaml) {
    @Override
    public String toString() {
      return label;
    }
  }

  static List<Config> configs() {
    return List.of(
        new Config("native", "defaults:\n  observer_type: native\nmappings: []\n"),
        new Config("histogram", "defaults:\n  observer_type: histogram\nmappings: []\n"),
        new Config("summary", "defaults:\n  observer_type: summary\nmappings: []\n"),
        new Config(
            "custom buckets",
            """
            mappings:
            - match: "lat"
              name: "lat"
              observer_type: histogram
              histogram_options:
                buckets: [1e-6, 0.001, 1, 1000, 1e6]
            """),
        new Config(
            "custom buckets and native factor",
            """
            mappings:
            - match: "lat"
              name: "lat"
              observer_type: histogram
              histogram_options:
                buckets: [0.5, 2]
                native_histogram_bucket_factor: 1.5
                native_histogram_max_buckets: 20
            """),
        new Config(
            "summary options",
            """
            mappings:
            - match: "lat"
              name: "lat"
              observer_type: summary
              summary_options:
                max_age: 1m
                age_buckets: 3
                quantiles:
                - quantile: 0.25
                  error: 0.01
                - quantile: 0.75
                  error: 0.01
                - quantile: 0.999
                  error: 0.001
            """));
  }

  /** One udsink instance's Prometheus side: a parser, an aggregator and the state. */
  private final class Instance {
    final Telemetry telemetry = new Telemetry();
    final CumulativeState state = new CumulativeState(3_600_000, 10_000, telemetry);
    final Aggregator agg;
    final StatsdParser parser;

    Instance(Config c) throws Exception {
      Path f = Files.createTempFile(dir, "mapping", ".yml");
      Files.writeString(f, c.yaml());
      agg = new Aggregator(10_000, 10, 0, (r, b, s, e) -> {}, MapperRef.load(f, 100), true);
      parser = new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    }

    void interval(long endMs, String lines) {
      CumulativeStateTest.interval(parser, agg, telemetry, state, endMs, lines);
    }
  }

  /** A value of any magnitude parsing accepts, either sign, now and then zero. */
  private static double anyValue(Random rnd) {
    int pick = rnd.nextInt(20);
    if (pick == 0) {
      return 0;
    }
    double v = Math.pow(10, -300 + rnd.nextDouble() * 608); // 1e-300 .. 1e308
    if (v > 1.7e308) {
      v = 1.7e308;
    }
    return pick == 1 ? -v : v;
  }

  /** Positive values spread over fifteen orders of magnitude, around {@code 10^center}. */
  private static double wideValue(Random rnd, int center) {
    return Math.pow(10, center - 7.5 + rnd.nextDouble() * 15);
  }

  private static String lines(String name, String type, List<Double> values) {
    StringBuilder sb = new StringBuilder();
    for (double v : values) {
      sb.append(name).append(':').append(v).append('|').append(type).append('\n');
    }
    return sb.toString();
  }

  private static MetricSnapshot family(CumulativeState s, String name) {
    for (MetricSnapshot m : s.snapshot()) {
      if (m.getMetadata().getName().equals(name)) {
        return m;
      }
    }
    return null;
  }

  /** The count the state shows for the family, checking that its buckets hold exactly it. */
  private static long shownCount(CumulativeState s, String name) {
    MetricSnapshot m = family(s, name);
    assertNotNull(m, name + " is on /metrics");
    if (m instanceof SummarySnapshot sum) {
      assertEquals(1, sum.getDataPoints().size());
      return sum.getDataPoints().get(0).getCount();
    }
    HistogramSnapshot.HistogramDataPointSnapshot p = ((HistogramSnapshot) m).getDataPoints().get(0);
    long count = p.getCount();
    if (p.getClassicBuckets().size() > 0) {
      long classic = 0;
      for (int i = 0; i < p.getClassicBuckets().size(); i++) {
        classic += p.getClassicBuckets().getCount(i);
      }
      assertEquals(count, classic, "classic buckets hold every observation");
    }
    if (p.hasNativeHistogramData()) {
      long nat = p.getNativeZeroCount();
      for (int i = 0; i < p.getNativeBucketsForPositiveValues().size(); i++) {
        nat += p.getNativeBucketsForPositiveValues().getCount(i);
      }
      for (int i = 0; i < p.getNativeBucketsForNegativeValues().size(); i++) {
        nat += p.getNativeBucketsForNegativeValues().getCount(i);
      }
      assertEquals(count, nat, "native buckets hold every observation");
    }
    return count;
  }

  private static void checkNothingLeftOut(Instance i) throws Exception {
    for (SeriesLeftOut r : SeriesLeftOut.values()) {
      assertEquals(
          0,
          i.telemetry.value(io.udsink.collector.export.TelemetryMetric.SERIES_ERRORS, r.label()),
          "series left out: " + r.label());
    }
    Promtool.checkStructure(CumulativeStateTest.text(i.state));
  }

  /** The value at rank q of sorted samples, within the sketch's 1% of either neighbour. */
  private static void assertQuantile(double[] sorted, double q, double estimate, String what) {
    double rank = q * (sorted.length - 1);
    double lo = sorted[(int) Math.floor(rank)];
    double hi = sorted[(int) Math.ceil(rank)];
    double tol = 0.0101;
    boolean ok =
        (estimate >= Math.min(lo, hi) - Math.abs(lo) * tol
            && estimate <= Math.max(lo, hi) + Math.abs(hi) * tol);
    assertTrue(ok, what + " q" + q + " = " + estimate + ", samples there " + lo + " .. " + hi);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void shouldKeepEveryObservationOverTheWholeRangeAcrossIntervalsAndATakeover(Config c)
      throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      Random rnd = new Random(seed);
      Instance first = new Instance(c);
      long n = 0;
      long t = 1_000;
      for (int round = 0; round < 4; round++) {
        List<Double> v = new ArrayList<>();
        for (int k = 0; k < 300; k++) {
          v.add(anyValue(rnd));
        }
        n += v.size();
        first.interval(t += 1000, lines("lat", "d", v));
        assertEquals(n, shownCount(first.state, "lat"), c + " seed " + seed);
      }
      checkNothingLeftOut(first);
      Instance second = new Instance(c);
      second.state.importState(first.state.exportState());
      assertEquals(n, shownCount(second.state, "lat"), "handed over whole");
      for (int round = 0; round < 3; round++) {
        List<Double> v = new ArrayList<>();
        for (int k = 0; k < 300; k++) {
          v.add(anyValue(rnd));
        }
        n += v.size();
        second.interval(t += 1000, lines("lat", "d", v));
        assertEquals(n, shownCount(second.state, "lat"), c + " after the takeover");
      }
      checkNothingLeftOut(second);
      // and on to a third instance, state that was itself handed over included
      Instance third = new Instance(c);
      third.state.importState(second.state.exportState());
      third.interval(t += 1000, lines("lat", "d", List.of(1.0)));
      assertEquals(n + 1, shownCount(third.state, "lat"));
      checkNothingLeftOut(third);
    }
  }

  @Test
  void shouldShowSummaryQuantilesWithinOnePercentOfTheWholeWindowAcrossATakeover()
      throws Exception {
    Config c = configs().get(5); // quantiles 0.25, 0.75, 0.999 over 1 minute in 3 parts
    for (long seed = 1; seed <= 5; seed++) {
      Random rnd = new Random(seed);
      int center = -290 + rnd.nextInt(580);
      Instance first = new Instance(c);
      List<Double> all = new ArrayList<>();
      long t = 600_000;
      for (int round = 0; round < 3; round++) {
        List<Double> v = new ArrayList<>();
        for (int k = 0; k < 400; k++) {
          v.add(wideValue(rnd, center));
        }
        all.addAll(v);
        first.interval(t += 1000, lines("lat", "d", v));
      }
      Instance second = new Instance(c);
      second.state.importState(first.state.exportState());
      for (int round = 0; round < 2; round++) {
        List<Double> v = new ArrayList<>();
        for (int k = 0; k < 400; k++) {
          v.add(wideValue(rnd, center));
        }
        all.addAll(v);
        second.interval(t += 1000, lines("lat", "d", v));
      }
      double[] sorted = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      SummarySnapshot.SummaryDataPointSnapshot p =
          ((SummarySnapshot) family(second.state, "lat")).getDataPoints().get(0);
      assertEquals(all.size(), p.getCount());
      assertEquals(3, p.getQuantiles().size(), "every quantile shown, seed " + seed);
      for (int i = 0; i < p.getQuantiles().size(); i++) {
        assertQuantile(
            sorted,
            p.getQuantiles().get(i).getQuantile(),
            p.getQuantiles().get(i).getValue(),
            "seed " + seed + " center 1e" + center);
      }
      checkNothingLeftOut(second);
    }
  }

  @Test
  void shouldShowTheSummaryOfStatsdExportersWideTimerLine() throws Exception {
    Instance i = new Instance(configs().get(2));
    i.interval(2_000, "foo_timing:0.5:120:3000:10:20000:0.01|ms\n");
    i.interval(3_000, "foo_timing:1e-6|ms\nfoo_timing:1e9|ms\n");
    Map<String, Double> m = ServeHarness.parseExposition(CumulativeStateTest.text(i.state));
    assertEquals(8.0, m.get("foo_timing_count"));
    // in seconds: 1e-9 1e-5 5e-4 0.01 0.12 3 20 1e6; the value at rank q * 7
    assertEquals(20, m.get("foo_timing{quantile=\"0.99\"}"), 20 * 0.01);
    assertEquals(20, m.get("foo_timing{quantile=\"0.9\"}"), 20 * 0.01);
    assertEquals(0.01, m.get("foo_timing{quantile=\"0.5\"}"), 0.01 * 0.01);
    checkNothingLeftOut(i);
  }

  @Test
  void shouldKeepJsonQuantilesWithinOnePercentWhenIntervalsMerge() {
    // an output that is behind gets its intervals merged: the sketches merge too
    Aggregator agg = new Aggregator(1000, 10, 0, (r, b, s, e) -> {});
    StatsdParser parser =
        new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    for (long seed = 1; seed <= 5; seed++) {
      Random rnd = new Random(seed);
      int center = -290 + rnd.nextInt(580);
      List<Double> all = new ArrayList<>();
      Interval merged = null;
      for (int round = 0; round < 4; round++) {
        List<Double> v = new ArrayList<>();
        int n = rnd.nextInt(200) + 1;
        for (int k = 0; k < n; k++) {
          v.add(wideValue(rnd, center));
        }
        all.addAll(v);
        byte[] b = lines("lat", "d", v).getBytes(StandardCharsets.UTF_8);
        parser.parse(b, 0, b.length);
        Interval iv = agg.takeInterval(round * 1000L + seed * 10_000, false);
        merged = merged == null ? iv : Interval.merge(merged, false, iv, 1000);
      }
      double[] sorted = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      var s = merged.series()[0];
      assertEquals(all.size(), s.count());
      for (double q : new double[] {0, 0.01, 0.5, 0.9, 0.99, 1}) {
        assertQuantile(sorted, q, s.quantile(q), "seed " + seed);
      }
    }
  }

  @Test
  void shouldKeepTheTopOfTheRangeExactWhenValuesSpanMoreThanASketchHolds() {
    // 1e-300 .. 1e300 in one interval: more than 2048 bins; the lowest collapse, the top stays
    Aggregator agg = new Aggregator(1000, 10, 0, (r, b, s, e) -> {});
    StatsdParser parser =
        new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    Random rnd = new Random(11);
    List<Double> v = new ArrayList<>();
    for (int k = 0; k < 5000; k++) {
      v.add(Math.pow(10, -300 + rnd.nextDouble() * 600));
    }
    byte[] b = lines("lat", "d", v).getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    var s = agg.takeInterval(1000, false).series()[0];
    double[] sorted = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    assertEquals(v.size(), s.count());
    // documented: samples more than a factor of 1e17 below the largest may be collapsed
    double floor = sorted[sorted.length - 1] / 1e17;
    for (double q : new double[] {0.98, 0.99, 1}) {
      double truth = sorted[(int) Math.floor(q * (sorted.length - 1))];
      assertTrue(truth > floor, "the test's quantiles lie above the collapsed range");
      assertQuantile(sorted, q, s.quantile(q), "wide");
    }
    double low = s.quantile(0.5);
    assertTrue(
        low >= sorted[0] && low <= floor,
        "a collapsed quantile is at most the " + "lowest kept bin: " + low + " vs " + floor);
  }

  @Test
  void shouldShowTheLatestSeriesWhenAHandedOverOneWasMadeWithOtherBuckets() throws Exception {
    Config before = configs().get(3);
    Config after =
        new Config(
            "other buckets", before.yaml().replace("[1e-6, 0.001, 1, 1000, 1e6]", "[0.1, 10]"));
    Instance first = new Instance(before);
    first.interval(2_000, lines("lat", "d", List.of(0.5, 5.0, 50.0)));
    Instance second = new Instance(after);
    second.state.importState(first.state.exportState());
    second.interval(3_000, lines("lat", "d", List.of(1.0, 2.0)));
    for (int scrape = 0; scrape < 3; scrape++) {
      assertEquals(2, shownCount(second.state, "lat"), "the series of the settings in force");
      Promtool.checkStructure(CumulativeStateTest.text(second.state));
    }
    assertEquals(
        1,
        second.telemetry.value(
            io.udsink.collector.export.TelemetryMetric.SERIES_ERRORS,
            SeriesLeftOut.LAYOUT_CONFLICT.label()),
        "counted once, however often it is scraped");
    Map<String, Double> m = ServeHarness.parseExposition(CumulativeStateTest.text(second.state));
    assertEquals(1.0, m.get("udsink_series_errors_total{reason=\"layout_conflict\"}"));
  }

  @Test
  void shouldLeaveOutAHandedOverSeriesWhoseBucketsDoNotHoldItsCount() throws Exception {
    Instance first = new Instance(configs().get(3));
    first.interval(2_000, lines("lat", "d", List.of(0.5, 5.0)) + "other:1|c\n");
    String state = new String(first.state.exportState(), StandardCharsets.UTF_8);
    String broken = state.replace("\"count\":2", "\"count\":3");
    Instance second = new Instance(configs().get(3));
    second.state.importState(broken.getBytes(StandardCharsets.UTF_8));
    assertEquals(
        1,
        second.telemetry.value(
            io.udsink.collector.export.TelemetryMetric.SERIES_ERRORS,
            SeriesLeftOut.HANDOVER_MISMATCH.label()));
    String text = CumulativeStateTest.text(second.state);
    Map<String, Double> m = ServeHarness.parseExposition(text);
    assertEquals(1.0, m.get("other"), "the other series came over: " + text);
    assertEquals(null, family(second.state, "lat"), "nothing half-imported");
  }

  @Test
  void shouldNotLetAStateWithoutSettingsSpoilTheFamily() throws Exception {
    // a state from a version that handed over no settings: the defaults it then used
    Instance first = new Instance(configs().get(3));
    first.interval(2_000, lines("lat", "d", List.of(0.5, 5.0)));
    String state =
        new String(first.state.exportState(), StandardCharsets.UTF_8)
            .replaceAll("\"observer\":\\{[^}]*\\},", "");
    assertTrue(!state.contains("observer"), state);
    Instance second = new Instance(configs().get(3));
    second.state.importState(state.getBytes(StandardCharsets.UTF_8));
    second.interval(3_000, lines("lat", "d", List.of(1.0)));
    assertEquals(1, shownCount(second.state, "lat"));
    Promtool.checkStructure(CumulativeStateTest.text(second.state));
    assertEquals(
        1,
        second.telemetry.value(io.udsink.collector.export.TelemetryMetric.SERIES_ERRORS),
        Arrays.toString(SeriesLeftOut.values()));
  }
}
