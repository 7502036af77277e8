package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.parse.StatsdParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One output's worker: an inbox the receive loop only adds to, merged off the loop's thread. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OutputWorkerTest {
  private final Aggregator agg = new Aggregator(1000, 1, 0, (r, b, s, e) -> {});
  private final StatsdParser parser = new StatsdParser(agg, agg, Series.MAX_SKETCH_VALUE);
  private long clock;

  private Interval interval(String lines, boolean last) {
    byte[] b = lines.getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    clock += 1000;
    return agg.takeInterval(clock, last);
  }

  /** Sums the value of counter {@code c} over what it was given, and can be held up. */
  static final class Recording implements Output {
    final List<Interval> written = new CopyOnWriteArrayList<>();
    final AtomicInteger failuresLeft = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    final CountDownLatch entered = new CountDownLatch(1);

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void write(Interval iv) throws IOException {
      entered.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      if (failuresLeft.getAndDecrement() > 0) {
        throw new IOException("refused");
      }
      written.add(iv);
    }

    double sum(String name) {
      double v = 0;
      for (Interval iv : written) {
        for (Series s : iv.series()) {
          if (s.name().equals(name)) {
            v += s.value();
          }
        }
      }
      return v;
    }
  }

  @Test
  void shouldKeepTheInboxOfAStuckOutputSmallAndLoseNothing() throws Exception {
    Recording out = new Recording();
    out.gate = new CountDownLatch(1);
    OutputWorker w = new OutputWorker(out, 1000);
    w.start();
    w.offer(interval("c:1|c\n", false));
    assertTrue(out.entered.await(10, TimeUnit.SECONDS), "the first write is under way");
    for (int i = 0; i < 200; i++) {
      w.offer(interval("c:1|c\ng:" + i + "|g\n", false));
    }
    // 200 intervals behind the stuck write: merged into one head, at most one left waiting
    TestSupport.await(
        "the helper merged the inbox",
        Duration.ofSeconds(20),
        () -> w.mergedIntervals() >= 198 && w.inboxSize() <= OutputWorker.MERGE_AT);
    assertEquals(201, w.backlogIntervals(), "every interval counted while stuck");
    // one series in flight; two in the merged head; two for each interval still in the inbox
    long unwritten = w.unwrittenLines();
    assertTrue(unwritten >= 3 && unwritten <= 3 + 2 * OutputWorker.MERGE_AT, "" + unwritten);
    out.gate.countDown();
    w.offer(interval("c:1|c\n", true));
    assertTrue(w.awaitFinished(System.nanoTime() + TimeUnit.SECONDS.toNanos(20), () -> false));
    assertEquals(202.0, out.sum("c"), "no sample lost");
    assertEquals(199.0, lastGauge(out), "the gauge's last value is the latest");
    assertTrue(out.written.size() <= 4, "merged into a few writes: " + out.written.size());
  }

  @Test
  void shouldPutAFailedWriteBackInFrontAndKeepTheOrder() throws Exception {
    Recording out = new Recording();
    out.failuresLeft.set(3);
    OutputWorker w = new OutputWorker(out, 1000);
    w.start();
    Random random = new Random(7);
    double total = 0;
    for (int i = 0; i < 20; i++) {
      int n = 1 + random.nextInt(5);
      total += n;
      w.offer(interval("c:" + n + "|c\ng:" + i + "|g\n", i == 19));
    }
    assertTrue(w.awaitFinished(System.nanoTime() + TimeUnit.SECONDS.toNanos(30), () -> false));
    assertEquals(3, w.errors());
    assertEquals(total, out.sum("c"));
    assertEquals(19.0, lastGauge(out));
    for (int i = 1; i < out.written.size(); i++) {
      assertTrue(out.written.get(i - 1).endMs() < out.written.get(i).endMs(), "in time order");
    }
  }

  private static double lastGauge(Recording out) {
    double v = Double.NaN;
    for (Interval iv : out.written) {
      for (Series s : iv.series()) {
        if (s.name().equals("g")) {
          v = s.value();
        }
      }
    }
    return v;
  }
}
