package io.udsink.collector.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.Flusher;
import io.udsink.collector.export.IntervalSink;
import io.udsink.collector.parse.MetricType;
import io.udsink.collector.parse.StatsdParser;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The intake with several workers gives, interval by interval, what one worker gives for the same
 * datagrams, batches and flushes: the sharding, the ordered gauge path and the merge change
 * nothing a user can see.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IntakeWorkersTest {
  /** Keeps what the intake hands over. */
  static final class Capture implements IntervalSink {
    final List<Interval> intervals = new ArrayList<>();

    @Override
    public synchronized void offer(Interval iv) {
      intervals.add(iv);
    }

    @Override
    public synchronized Flusher.Result finish(Interval last, long timeoutMs) {
      intervals.add(last);
      return new Flusher.Result(0, List.of());
    }
  }

  /** One step the receive thread takes. */
  private record Step(byte[] datagram, boolean batchEnd, boolean flush) {}

  private static Intake intake(Capture sink, int workers, int maxSeries) {
    AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    return new Intake(
        sink,
        1,
        maxSeries,
        TimeUnit.MINUTES.toNanos(5),
        () -> clock.addAndGet(1000),
        10_000,
        workers);
  }

  private static List<Interval> run(List<Step> steps, int workers, int maxSeries) {
    Capture sink = new Capture();
    Intake in = intake(sink, workers, maxSeries);
    long now = 0;
    in.onTimer(now++);
    for (Step s : steps) {
      if (s.datagram != null) {
        in.onDatagram(0, ByteBuffer.wrap(s.datagram), false, -1, -1, -1);
      }
      if (s.batchEnd) {
        in.onBatchEnd();
      }
      if (s.flush) {
        in.onTimer(now += 10);
      }
    }
    in.onStop();
    assertTrue(in.result().complete());
    return sink.intervals;
  }

  private static List<Step> workload(long seed, int datagrams) {
    Random rnd = new Random(seed);
    String[] tags = {"a:1", "b:2", "a:3", "z", "env:prod", "host:h1", "host:h2", "ünï:çödé"};
    List<Step> steps = new ArrayList<>();
    for (int d = 0; d < datagrams; d++) {
      StringBuilder sb = new StringBuilder();
      for (int l = rnd.nextInt(12); l >= 0; l--) {
        String name = "m" + rnd.nextInt(40);
        StringBuilder t = new StringBuilder();
        for (int k = rnd.nextInt(4); k > 0; k--) {
          t.append(t.length() == 0 ? "|#" : ",").append(tags[rnd.nextInt(tags.length)]);
        }
        String rate = rnd.nextInt(5) == 0 ? "|@0.5" : rnd.nextInt(9) == 0 ? "|@0.25" : "";
        switch (rnd.nextInt(12)) {
          case 0, 1, 2 -> sb.append(name).append(':').append(rnd.nextInt(100) - 20).append("|c");
          case 3, 4 -> {
            int v = rnd.nextInt(50) - 25;
            String sign = rnd.nextBoolean() ? "" : v >= 0 ? "+" : "";
            sb.append("g").append(name).append(':').append(sign).append(v).append("|g");
            rate = "";
          }
          case 5 -> {
            sb.append("s")
                .append(name)
                .append(':')
                .append("u")
                .append(rnd.nextInt(30))
                .append("|s");
            rate = "";
          }
          case 6, 7 -> {
            sb.append("d").append(name);
            for (int v = 1 + rnd.nextInt(4); v > 0; v--) {
              sb.append(':').append(rnd.nextInt(1000));
            }
            sb.append(rnd.nextBoolean() ? "|ms" : rnd.nextBoolean() ? "|h" : "|d");
          }
          case 8 -> {
            sb.append("t").append(name).append(':').append(rnd.nextInt(9)).append("|c");
            sb.append("|T").append(1_700_000_000L + rnd.nextInt(100));
            rate = "";
          }
          case 9 -> {
            sb.append("_e{5,4}:title|text");
            rate = "";
            t.setLength(0);
          }
          case 10 -> {
            sb.append("_sc|check.").append(rnd.nextInt(3)).append('|').append(rnd.nextInt(4));
            rate = "";
            t.setLength(0);
          }
          default -> {
            sb.append(name).append(":x|c"); // rejected: counted, nothing else
            rate = "";
          }
        }
        sb.append(rate).append(t).append('\n');
      }
      steps.add(
          new Step(
              sb.toString().getBytes(StandardCharsets.UTF_8),
              rnd.nextInt(3) == 0,
              rnd.nextInt(150) == 0));
    }
    return steps;
  }

  /** What a user sees of a series. */
  private static String summary(Series s) {
    String id = s.type() + " " + s.name() + " " + s.tags() + " @" + s.timestampMs() + ": ";
    if (s.type() == MetricType.SET) {
      return id + s.setSize();
    }
    if (s.type().isDistribution()) {
      return id + s.count() + "/" + s.sum() + "/" + s.min() + "/" + s.max() + "/" + s.quantile(0.5);
    }
    return id + s.value() + " (" + s.samples() + " samples)";
  }

  private static void assertSame(List<Interval> one, List<Interval> many) {
    assertEquals(one.size(), many.size(), "intervals");
    for (int i = 0; i < one.size(); i++) {
      Interval a = one.get(i);
      Interval b = many.get(i);
      String where = "interval " + i;
      assertEquals(a.startMs(), b.startMs(), where);
      assertEquals(a.endMs(), b.endMs(), where);
      assertEquals(a.last(), b.last(), where);
      assertEquals(series(a.series()), series(b.series()), where);
      assertEquals(
          series(a.timed().toArray(new Series[0])), series(b.timed().toArray(new Series[0])));
      assertEquals(a.events().size(), b.events().size(), where);
      assertEquals(a.serviceChecks().size(), b.serviceChecks().size(), where);
      assertArrayEquals(a.counters(), b.counters(), where);
      assertArrayEquals(a.parseErrors(), b.parseErrors(), where);
    }
  }

  private static TreeMap<String, Integer> series(Series[] all) {
    TreeMap<String, Integer> m = new TreeMap<>();
    for (Series s : all) {
      m.merge(summary(s), 1, Integer::sum);
    }
    return m;
  }

  @ParameterizedTest
  @CsvSource({"1, 2", "2, 4", "3, 3", "4, 8"})
  void shouldGiveWhatOneWorkerGives(long seed, int workers) {
    List<Step> steps = workload(seed, 6000);
    List<Interval> one = run(steps, 1, 100_000);
    assertTrue(one.size() > 10, "the workload has flushes");
    assertSame(one, run(steps, workers, 100_000));
  }

  @Test
  void shouldAllocateNothingOnTheReceiveThreadPerDatagram() {
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    Capture sink = new Capture();
    Intake in = intake(sink, 2, 100_000);
    in.onTimer(0);
    ByteBuffer d = ByteBuffer.allocateDirect(256);
    d.put("a:1|c|#k:v\nb:2|g\nc:3|ms".getBytes(StandardCharsets.UTF_8)).flip();
    for (int i = 0; i < 50_000; i++) { // warm-up: the code is compiled and the rings are touched
      in.onDatagram(0, d, false, 1, 2, 3);
      in.onBatchEnd();
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 200_000; i++) {
      in.onDatagram(0, d, false, 1, 2, 3);
      if ((i & 7) == 0) {
        in.onBatchEnd();
      }
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    in.onStop();
    assertTrue(allocated < 200_000, allocated + " bytes for 200,000 datagrams");
    long lines = 0;
    for (Interval iv : sink.intervals) {
      for (Series s : iv.series()) {
        lines += s.samples();
      }
    }
    assertEquals(3L * 250_000, lines, "every datagram was parsed");
  }

  @Test
  void shouldKeepEveryIntervalWithinMaxSeriesOverAllWorkers() {
    List<Step> steps = workload(9, 6000);
    List<Interval> many = run(steps, 4, 50);
    long shown = 0;
    for (Interval iv : many) {
      assertTrue(iv.series().length <= 50, "interval of " + iv.series().length + " series");
      shown += iv.series().length;
    }
    Interval last = many.get(many.size() - 1);
    assertTrue(last.counters()[Counter.DROPPED_SERIES.ordinal()] > 0, "the bound was reached");
    assertTrue(shown > 0);
  }

  @Test
  void shouldCarryTheLargestLineBetweenWorkers() {
    StringBuilder sb = new StringBuilder("g");
    sb.append("n".repeat(StatsdParser.MAX_KEY_BYTES - 2 * 250 - 1));
    for (int v = 0; v < StatsdParser.MAX_VALUES; v++) {
      sb.append(":+1");
    }
    sb.append("|g|#");
    for (int t = 0; t < 250; t++) {
      sb.append(t == 0 ? "" : ",").append((char) ('A' + t % 26)).append(t % 10);
    }
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      steps.add(new Step(sb.toString().getBytes(StandardCharsets.UTF_8), true, false));
    }
    List<Interval> one = run(steps, 1, 100);
    assertEquals(1, one.get(one.size() - 1).series().length);
    assertSame(one, run(steps, 3, 100));
  }
}
