package io.udsink.collector.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.export.jsonl.JsonLines;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.ParseError;
import io.udsink.collector.parse.StatsdParser;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

public class AggregatorTest {
  private final Aggregator agg = new Aggregator(1000, 10, 0, (r, b, s, e) -> {});
  private final StatsdParser parser =
      new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);

  private void feed(String datagram) {
    byte[] b = datagram.getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
  }

  /** Breaks a distribution series the way a bug would, for tests of the outputs' robustness. */
  public static void breakSeries(Series s) {
    s.sketch = null;
    s.mapped = null;
  }

  /** The series of that name, type and tags in the interval, or null. */
  public static Series find(Interval iv, String name, MetricType type, String... tags) {
    return Arrays.stream(iv.series())
        .filter(s -> s.name().equals(name) && s.type() == type && s.tags().equals(List.of(tags)))
        .findFirst()
        .orElse(null);
  }

  @Test
  void shouldSumCountersDividedBySampleRate() {
    feed("c:1|c\nc:2|c\nc:3|c|@0.5\nc:1|c|@0.1");
    feed("c:5|c|#a:1");
    Interval iv = agg.takeInterval(1000, false);
    Series c = find(iv, "c", MetricType.COUNTER);
    assertEquals(1 + 2 + 6 + 10, c.value, 1e-9);
    assertEquals(4, c.samples);
    assertEquals(5, find(iv, "c", MetricType.COUNTER, "a:1").value);
  }

  @Test
  void shouldTreatTagOrderAsTheSameSeries() {
    feed("x:1|c|#b:2,a:1\nx:1|c|#a:1,b:2\nx:1|c|#a:1,b:2,a:1");
    feed("{\"name\":\"x\",\"type\":\"counter\",\"value\":1,\"tags\":[\"b:2\",\"a:1\"]}");
    Interval iv = agg.takeInterval(1000, false);
    assertEquals(1, iv.series().length);
    assertEquals(4, find(iv, "x", MetricType.COUNTER, "a:1", "b:2").value);
  }

  @Test
  void shouldKeepGaugesLastValueAndApplyDeltasAcrossIntervals() {
    feed("g:10|g\ng:+5|g\ng:-3|g");
    Interval one = agg.takeInterval(1000, false);
    assertEquals(12, find(one, "g", MetricType.GAUGE).value);
    feed("g:+8|g");
    Interval two = agg.takeInterval(2000, false);
    assertEquals(20, find(two, "g", MetricType.GAUGE).value);
    assertEquals(12, find(one, "g", MetricType.GAUGE).value, "a flushed interval changed");
    feed("g:4|g\ng:-1|g");
    assertEquals(3, find(agg.takeInterval(3000, false), "g", MetricType.GAUGE).value);
    feed("fresh:+2|g");
    assertEquals(2, find(agg.takeInterval(4000, false), "fresh", MetricType.GAUGE).value);
  }

  @Test
  void shouldCountUniqueSetMembersPerInterval() {
    feed("u:alice|s\nu:bob|s\nu:alice|s\nu:carol:bob|s");
    Interval iv = agg.takeInterval(1000, false);
    assertEquals(3, find(iv, "u", MetricType.SET).members.size());
    feed("u:alice|s");
    assertEquals(1, find(agg.takeInterval(2000, false), "u", MetricType.SET).members.size());
  }

  @Test
  void shouldSummariseDistributionsWithWeightedCountAndExactMinMax() {
    feed("t:10|ms\nt:20|ms\nt:30|ms|@0.5");
    Series t = find(agg.takeInterval(1000, false), "t", MetricType.TIMER);
    assertEquals(4, t.count, 1e-9);
    assertEquals(10 + 20 + 60, t.sum, 1e-9);
    assertEquals(10, t.min);
    assertEquals(30, t.max);
  }

  @Test
  void shouldGiveQuantilesWithinOnePercentOnKnownDistributions() {
    Random rnd = new Random(42);
    checkQuantiles("uniform", () -> 1 + rnd.nextDouble() * 9999, 200_000);
    checkQuantiles("exponential", () -> -Math.log(1 - rnd.nextDouble()) * 50, 200_000);
    checkQuantiles("lognormal", () -> Math.exp(rnd.nextGaussian() * 2 + 3), 200_000);
    checkQuantiles("negative", () -> -1 - rnd.nextDouble() * 100, 50_000);
  }

  private void checkQuantiles(String label, DoubleSupplier gen, int n) {
    double[] values = new double[n];
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      values[i] = gen.getAsDouble();
      sb.append("d.").append(label).append(':').append(values[i]).append("|d\n");
      if (sb.length() > 8000) {
        feed(sb.toString());
        sb.setLength(0);
      }
    }
    feed(sb.toString());
    Series s = find(agg.takeInterval(1000, false), "d." + label, MetricType.DISTRIBUTION);
    Arrays.sort(values);
    assertEquals(n, s.count, 1e-6);
    for (double q : new double[] {0.5, 0.9, 0.95, 0.99}) {
      double exact = values[(int) Math.ceil(q * n) - 1];
      double got = s.quantile(q);
      double err = Math.abs(got - exact) / Math.abs(exact);
      assertTrue(
          err <= 0.01,
          label
              + " p"
              + (int) (q * 100)
              + ": "
              + got
              + " vs "
              + exact
              + " (relative error "
              + err
              + ")");
    }
  }

  @Test
  void shouldBoundSketchMemoryWhateverTheSampleCount() {
    Random rnd = new Random(7);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 300_000; i++) {
      sb.append("h:").append(Math.exp(rnd.nextGaussian() * 20)).append("|h\n");
      if (sb.length() > 8000) {
        feed(sb.toString());
        sb.setLength(0);
      }
    }
    feed(sb.toString());
    Series s = find(agg.takeInterval(1000, false), "h", MetricType.HISTOGRAM);
    var store = s.sketch.getPositiveValueStore();
    int span = store.getMaxIndex() - store.getMinIndex() + 1;
    assertTrue(span <= Series.MAX_BINS, "the sketch spans " + span + " bins");
    assertEquals(300_000, s.count, 1e-6);
  }

  @Test
  void shouldDropAndCountSamplesBeyondMaxSeries() {
    Aggregator small = new Aggregator(3, 10, 0, (r, b, s, e) -> {});
    StatsdParser p =
        new StatsdParser(small, small, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    byte[] b = "a:1|c\nb:1|c\nc:1|c\nd:1|c\na:1|c\ne:1|g".getBytes(StandardCharsets.UTF_8);
    p.parse(b, 0, b.length);
    Interval iv = small.takeInterval(1000, false);
    assertEquals(3, iv.series().length);
    assertEquals(2, find(iv, "a", MetricType.COUNTER).value);
    assertNull(find(iv, "d", MetricType.COUNTER));
    assertEquals(2, iv.counters()[Counter.DROPPED_SERIES.ordinal()]);
  }

  @Test
  void shouldCountParseErrorsByReason() {
    feed("a:x|c\nb:1|q\nc:1|c\n:1|c\nb:1|q");
    Interval iv = agg.takeInterval(1000, false);
    assertEquals(1, iv.parseErrors()[ParseError.BAD_VALUE.ordinal()]);
    assertEquals(2, iv.parseErrors()[ParseError.UNKNOWN_TYPE.ordinal()]);
    assertEquals(1, iv.parseErrors()[ParseError.EMPTY_NAME.ordinal()]);
    assertEquals(1, iv.series().length);
  }

  @Test
  void shouldRefuseSamplesThatWouldOverflowASumAndKeepTheSeriesFinite() {
    feed(
        "c:1e308|c\nc:1e308|c\nc:1e300|c|@1e-9\nc:5|c\n"
            + "h:1e308|h\nh:1e308|h\nh:1|h\n"
            + "g:1e308|g\ng:+1e308|g\n"
            + "ok:1|c");
    Interval iv = agg.takeInterval(1000, false);
    Series c = find(iv, "c", MetricType.COUNTER);
    assertEquals(1e308 + 5, c.value);
    assertEquals(2, c.samples);
    Series h = find(iv, "h", MetricType.HISTOGRAM);
    assertEquals(2, h.count);
    assertEquals(1e308 + 1, h.sum);
    assertEquals(1e308, find(iv, "g", MetricType.GAUGE).value);
    assertEquals(1, find(iv, "ok", MetricType.COUNTER).value);
    assertEquals(4, iv.parseErrors()[ParseError.VALUE_OUT_OF_RANGE.ordinal()]);
    feed("only.refused:1e308|ms|@1e-9");
    assertNull(
        find(agg.takeInterval(2000, false), "only.refused", MetricType.TIMER),
        "a series whose every sample was refused is not shown");
    String json =
        new String(
            JsonLines.format(iv, List.of(), new io.udsink.collector.export.Telemetry()).bytes(),
            StandardCharsets.UTF_8);
    assertTrue(!json.contains("Infinity") && !json.contains("NaN"), json);
  }

  @Test
  void shouldKeepTheExactSumOfNegativeIncrementsAndTheirCount() {
    feed("x:-1|c\nx:3|c\nx:-2.5|c|@0.5");
    Series x = find(agg.takeInterval(1000, false), "x", MetricType.COUNTER);
    assertEquals(-3, x.value);
    assertEquals(3, x.increase);
    assertEquals(2, x.negativeSamples);
  }

  @Test
  void shouldBoundTheGaugesItRemembersByMaxSeries() {
    Aggregator small = new Aggregator(100, 1000, 0, (r, b, s, e) -> {});
    StatsdParser p =
        new StatsdParser(small, small, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    long dropped = 0;
    for (int interval = 0; interval < 20; interval++) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 50; i++) {
        sb.append("g").append(interval).append('.').append(i).append(":1|g\n");
      }
      byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
      p.parse(b, 0, b.length);
      Interval iv = small.takeInterval(interval, false);
      assertTrue(small.rememberedGauges() <= 100, "remembered " + small.rememberedGauges());
      dropped = iv.counters()[Counter.DROPPED_SERIES.ordinal()];
    }
    assertEquals(20 * 50 - 100, dropped, "gauges beyond the bound are dropped and counted");
  }

  @Test
  void shouldForgetGaugesPastTheirTtlToMakeRoom() {
    Aggregator small = new Aggregator(10, 1, 0, (r, b, s, e) -> {});
    StatsdParser p =
        new StatsdParser(small, small, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    for (int interval = 0; interval < 40; interval++) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 5; i++) {
        sb.append("g").append(interval).append('.').append(i).append(":1|g\n");
      }
      byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
      p.parse(b, 0, b.length);
      Interval iv = small.takeInterval(interval, false);
      assertEquals(5, iv.series().length, "interval " + interval);
    }
    assertEquals(0, small.counter(Counter.DROPPED_SERIES));
  }

  @Test
  void shouldCountSetsExactlyUpTo512MembersThenEstimateWithinTheDocumentedError() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 512; i++) {
      sb.append("u:m").append(i).append("|s\n");
    }
    feed(sb.toString());
    feed(sb.toString());
    Series exact = find(agg.takeInterval(1000, false), "u", MetricType.SET);
    assertEquals(512, exact.setSize());
    assertTrue(!exact.members.isEstimate());
    for (int start = 0; start < 200_000; start += 400) {
      sb.setLength(0);
      for (int i = start; i < start + 400; i++) {
        sb.append("big:member-").append(i).append("|s\n");
      }
      feed(sb.toString());
    }
    Series big = find(agg.takeInterval(2000, false), "big", MetricType.SET);
    assertTrue(big.members.isEstimate());
    assertEquals(200_000, big.setSize(), 200_000 * 3 * 0.0163, "three standard errors");
  }
}
