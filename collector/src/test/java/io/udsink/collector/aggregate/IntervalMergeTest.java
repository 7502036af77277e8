package io.udsink.collector.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.StatsdParser;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Merging intervals an output could not take: nothing lost, shared intervals untouched. */
class IntervalMergeTest {
  private final Aggregator agg = new Aggregator(1000, 10, 0, (r, b, s, e) -> {});
  private final StatsdParser parser =
      new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);

  private Interval interval(long endMs, String datagram) {
    byte[] b = datagram.getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    return agg.takeInterval(endMs, false);
  }

  @Test
  void shouldAddCountersKeepTheLastGaugeUniteSetsAndMergeSketches() {
    Interval one =
        interval(1000, "c:1|c\nc:-4|c\ng:5|g\nu:a|s\nu:b|s\nt:10|ms\nonly1:1|c\n" + "_e{1,1}:a|b");
    Interval two = interval(2000, "c:2|c\ng:+3|g\nu:b|s\nu:c|s\nt:30|ms\nt:20|ms\nonly2:7|g");
    Interval m = Interval.merge(one, false, two, 1000);
    assertEquals(-1, AggregatorTest.find(m, "c", MetricType.COUNTER).value);
    assertEquals(3, AggregatorTest.find(m, "c", MetricType.COUNTER).increase);
    assertEquals(1, AggregatorTest.find(m, "c", MetricType.COUNTER).negativeSamples);
    assertEquals(8, AggregatorTest.find(m, "g", MetricType.GAUGE).value);
    assertEquals(3, AggregatorTest.find(m, "u", MetricType.SET).setSize());
    Series t = AggregatorTest.find(m, "t", MetricType.TIMER);
    assertEquals(3, t.count);
    assertEquals(60, t.sum);
    assertEquals(10, t.min);
    assertEquals(30, t.max);
    assertEquals(20, t.quantile(0.5), 0.2);
    assertEquals(1, AggregatorTest.find(m, "only1", MetricType.COUNTER).value);
    assertEquals(7, AggregatorTest.find(m, "only2", MetricType.GAUGE).value);
    assertEquals(1, m.events().size());
    assertEquals(one.startMs(), m.startMs());
    assertEquals(2000, m.endMs());
    assertEquals(2, m.intervals());
    assertEquals(two.counters()[Counter.LINES.ordinal()], m.counters()[Counter.LINES.ordinal()]);

    // the shared intervals are unchanged
    assertEquals(-3, AggregatorTest.find(one, "c", MetricType.COUNTER).value);
    assertEquals(2, AggregatorTest.find(one, "u", MetricType.SET).setSize());
    assertEquals(1, AggregatorTest.find(one, "t", MetricType.TIMER).count);
    assertEquals(2, AggregatorTest.find(two, "t", MetricType.TIMER).count);

    // a merged (owned) interval takes a third in place
    Interval three = interval(3000, "c:10|c\nu:d|s");
    Interval m3 = Interval.merge(m, true, three, 1000);
    assertEquals(9, AggregatorTest.find(m3, "c", MetricType.COUNTER).value);
    assertEquals(4, AggregatorTest.find(m3, "u", MetricType.SET).setSize());
    assertEquals(3, m3.intervals());
  }

  @Test
  void shouldGiveUpAndCountSeriesBeyondTheLimit() {
    Interval one = interval(1000, "a:1|c\nb:1|c");
    Interval two = interval(2000, "a:1|c\nc:1|c|@0.5\nd:1|c");
    Interval m = Interval.merge(one, false, two, 3);
    assertEquals(3, m.series().length);
    assertEquals(2, AggregatorTest.find(m, "a", MetricType.COUNTER).value);
    assertNull(AggregatorTest.find(m, "d", MetricType.COUNTER));
    assertEquals(1, m.mergeDropped());
    assertTrue(m.lineCount() >= 3);
  }

  @Test
  void shouldKeepSamplesWithTheirOwnTimeApartAndInOrder() {
    Interval one = interval(1000, "c:1|c|T1700000001\nc:1|c\n");
    Interval two = interval(2000, "c:2|c|T1700000000\ng:5|g|T1700000002\n");
    assertEquals(1, one.timed().size());
    assertEquals(1, AggregatorTest.find(one, "c", MetricType.COUNTER).value, "not in the series");
    Interval m = Interval.merge(one, false, two, 1000);
    assertEquals(
        java.util.List.of(1_700_000_001_000L, 1_700_000_000_000L, 1_700_000_002_000L),
        m.timed().stream().map(Series::timestampMs).toList(),
        "the earlier interval's first, each as it came");
    assertEquals(4, m.lineCount(), "one series and three samples with their own time");
  }
}
