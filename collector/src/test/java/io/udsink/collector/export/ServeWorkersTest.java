package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.udsink.collector.TestSupport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/** {@code udsink serve}'s pieces with several workers, over a real socket. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ServeWorkersTest {
  @TempDir Path dir;

  @Test
  void shouldAddUpExactlyWithFourWorkersUnderEightSenders() throws Exception {
    int senders = 8;
    int datagrams = 4000;
    Map<String, Double> expected = new TreeMap<>();
    double[] timerCount = new double[1];
    List<List<String>> work = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      Random rnd = new Random(100 + s);
      List<String> mine = new ArrayList<>();
      for (int d = 0; d < datagrams; d++) {
        StringBuilder sb = new StringBuilder();
        int lines = 1 + rnd.nextInt(20);
        for (int l = 0; l < lines; l++) {
          int v = 1 + rnd.nextInt(9);
          String name = "c" + rnd.nextInt(50);
          String tags = "|#k:" + rnd.nextInt(5) + ",sender:" + s; // as the output sorts them
          sb.append(name).append(':').append(v).append("|c").append(tags).append('\n');
          expected.merge(name + tags, (double) v, Double::sum);
          sb.append("shared:").append(v).append("|c\n");
          expected.merge("shared", (double) v, Double::sum);
          sb.append("t").append(rnd.nextInt(7)).append(':').append(v).append("|ms\n");
          timerCount[0]++;
        }
        mine.add(sb.toString());
      }
      work.add(mine);
    }
    ServeHarness h = new ServeHarness(dir, 30, "out.jsonl", 4, 100_000);
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Exception> failure = new AtomicReference<>();
    for (int s = 0; s < senders; s++) {
      List<String> mine = work.get(s);
      Thread t =
          new Thread(
              () -> {
                try (AFUNIXDatagramChannel ch = TestSupport.connect(h.socket)) {
                  for (String d : mine) {
                    TestSupport.sendWaiting(ch, d);
                  }
                } catch (Exception e) {
                  failure.set(e);
                }
              });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(null, failure.get());
    h.close();
    Map<String, Double> got = new TreeMap<>();
    double timers = 0;
    for (JsonNode n : h.lines()) {
      String type = n.get("type").asText();
      if (type.equals("counter")) {
        StringBuilder key = new StringBuilder(n.get("name").asText());
        List<String> tags = new ArrayList<>();
        n.get("tags").forEach(t -> tags.add(t.asText()));
        if (!tags.isEmpty()) {
          key.append("|#").append(String.join(",", tags));
        }
        got.merge(key.toString(), n.get("value").asDouble(), Double::sum);
      } else if (type.equals("timer")) {
        timers += n.get("count").asDouble();
      }
    }
    assertEquals(expected, got);
    assertEquals(timerCount[0], timers);
  }

  @RepeatedTest(20)
  void shouldFlushEverySuccessfulSendWhenStoppedUnderLoadWithSeveralWorkers() throws Exception {
    ServeEndToEndTest.stopUnderLoad(dir, 3);
  }

  @Test
  void shouldShowTheLastGaugeValueOneSenderSent() throws Exception {
    ServeHarness h = new ServeHarness(dir, 25, "out.jsonl", 4, 100_000);
    Random rnd = new Random(7);
    double absolute = 0;
    double adjusted = 0;
    try (AFUNIXDatagramChannel ch = TestSupport.connect(h.socket)) {
      for (int d = 0; d < 30_000; d++) {
        StringBuilder sb = new StringBuilder();
        // filler of many series, so that datagrams and their batches differ in size and owner
        for (int f = rnd.nextInt(40); f > 0; f--) {
          sb.append("filler").append(rnd.nextInt(300)).append(":1|c\n");
        }
        absolute = d;
        sb.append("g.abs:").append(d).append("|g\n");
        if (rnd.nextInt(10) == 0) {
          adjusted = rnd.nextInt(100);
          sb.append("g.mix:").append((int) adjusted).append("|g\n");
        } else {
          int delta = rnd.nextInt(7) - 3;
          adjusted += delta;
          sb.append("g.mix:").append(delta >= 0 ? "+" : "").append(delta).append("|g\n");
        }
        TestSupport.sendWaiting(ch, sb.toString());
      }
    }
    h.close();
    Map<String, Double> last = new HashMap<>();
    for (JsonNode n : h.lines()) {
      if (n.get("type").asText().equals("gauge")) {
        last.put(n.get("name").asText(), n.get("value").asDouble());
      }
    }
    assertEquals(absolute, last.get("g.abs"));
    assertEquals(adjusted, last.get("g.mix"));
  }

  @Test
  void shouldHoldMaxSeriesOverAllWorkers() throws Exception {
    ServeHarness h = new ServeHarness(dir, 3_600_000, "out.jsonl", 4, 100);
    try (AFUNIXDatagramChannel ch = TestSupport.connect(h.socket)) {
      for (int d = 0; d < 100; d++) {
        StringBuilder sb = new StringBuilder();
        for (int l = 0; l < 10; l++) {
          sb.append("series").append(d * 10 + l).append(":1|c\n");
        }
        TestSupport.sendWaiting(ch, sb.toString());
      }
    }
    h.close();
    List<JsonNode> lines = h.lines();
    long series = lines.stream().filter(n -> n.get("name").asText().startsWith("series")).count();
    assertEquals(100, series, "the bound holds for the process, not for each worker");
    assertEquals(900.0, h.telemetry.value(TelemetryMetric.DROPPED_SAMPLES_MAX_SERIES));
  }

  @Test
  void shouldHoldSendersBackWhileAWorkerIsFrozenAndLoseNothing() throws Exception {
    ServeHarness h = new ServeHarness(dir, 50, "out.jsonl", 2, 100_000);
    h.handler.freezeWorker(0, true);
    int count = 20_000;
    AtomicLong sent = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    Thread sender =
        new Thread(
            () -> {
              try (AFUNIXDatagramChannel ch = TestSupport.connect(h.socket)) {
                for (int i = 0; i < count; i++) {
                  TestSupport.sendWaiting(ch, "frozen:1|c|#pad:" + "x".repeat(100));
                  sent.incrementAndGet();
                }
              } catch (Exception e) {
                failure.set(e);
              }
            });
    sender.start();
    TestSupport.await(
        "the receive thread waits for the frozen worker",
        Duration.ofSeconds(20),
        () -> h.handler.receiverWaits() > 0);
    long probes = 0;
    try (AFUNIXDatagramChannel probe = TestSupport.connect(h.socket)) {
      probe.configureBlocking(false);
      // the receive thread reads no more: the socket's queue fills and refuses the next send
      while (TestSupport.send(probe, "frozen:1|c") > 0) {
        probes++;
        assertTrue(probes < 100_000, "the socket's queue never filled");
      }
    }
    assertTrue(sender.isAlive() && sent.get() < count, "the blocking sender was held back");
    h.handler.freezeWorker(0, false);
    sender.join();
    assertEquals(null, failure.get());
    h.close();
    assertEquals((double) count + probes, h.counterTotal("frozen"));
  }
}
