package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.udsink.client.ClientErrorHandler;
import io.udsink.client.ClientStats;
import io.udsink.client.CollectorUnavailableException;
import io.udsink.client.DropReason;
import io.udsink.client.Mode;
import io.udsink.client.UdsinkClient;
import io.udsink.collector.TestSupport;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The client library against a real udsink collector running in-process. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientAgainstCollectorTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir Path dir;

  /** Records what the error handler hears. */
  static final class Recorder implements ClientErrorHandler {
    final List<Exception> errors = new CopyOnWriteArrayList<>();
    final AtomicInteger recoveries = new AtomicInteger();

    @Override
    public void onError(Exception error) {
      errors.add(error);
    }

    @Override
    public void onRecovered(String path, Duration outage) {
      recoveries.incrementAndGet();
    }
  }

  @Test
  void shouldDeliverExactTotalsFromEightThreads() throws Exception {
    ServeHarness h = new ServeHarness(dir, 50);
    int threads = 8;
    int perThread = 5000;
    UdsinkClient client =
        UdsinkClient.builder()
            .socket(h.socket.toString())
            .mode(Mode.BLOCKING)
            .blockingTimeout(Duration.ofSeconds(30))
            .prefix("t.")
            .constantTags("app:test")
            .build();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final int id = t;
      ts.add(
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  client.count("hits", 2, "thread:" + id);
                  client.histogram("size", i % 100);
                  client.distribution("lat", 1.5);
                  client.time("db", 3);
                  client.set("ids", id + "-" + i);
                  client.gauge("last", id);
                }
              }));
    }
    ts.forEach(Thread::start);
    for (Thread t : ts) {
      t.join();
    }
    client.close();
    ClientStats stats = client.stats();
    assertEquals(0, stats.droppedTotal(), stats.toString());
    assertTrue(
        stats.linesSent() < threads * perThread * 6L / 5,
        "aggregated: " + stats.linesSent() + " lines for " + threads * perThread * 6L + " emits");
    TestSupport.await(
        "every datagram flushed",
        WAIT,
        () ->
            h.telemetry.value(io.udsink.collector.export.TelemetryMetric.DATAGRAMS)
                == stats.datagramsSent());
    h.close();

    double hits = 0;
    Map<String, Double> distCount = new HashMap<>();
    long setMembers = 0;
    boolean estimated = false;
    for (JsonNode n : h.lines()) {
      String name = n.get("name").asText();
      switch (n.get("type").asText()) {
        case "counter" -> hits += n.get("value").asDouble();
        case "set" -> {
          setMembers += n.get("value").asLong();
          estimated |= n.has("estimate");
        }
        case "timer", "histogram", "distribution" ->
            distCount.merge(name, n.get("count").asDouble(), Double::sum);
        default -> {}
      }
    }
    assertEquals(threads * perThread * 2.0, hits);
    assertEquals(
        Map.of(
            "t.size",
            (double) threads * perThread,
            "t.lat",
            (double) threads * perThread,
            "t.db",
            (double) threads * perThread),
        distCount);
    // beyond 512 members a set is a HyperLogLog estimate: 1.6% standard error, 3 sigma here
    long members = (long) threads * perThread;
    assertTrue(estimated, "a set of " + members + " members is estimated");
    assertEquals(members, setMembers, members * 0.05, "each member was sent once");
    assertTrue(
        stats.datagramsSent() < stats.linesSent() / 20,
        "lines were packed: " + stats.datagramsSent() + " datagrams for " + stats.linesSent());
  }

  @Test
  void shouldReportAnAbsentCollectorOnceAndDeliverOnceItStarts() throws Exception {
    Recorder rec = new Recorder();
    Path socket = dir.resolve("m");
    UdsinkClient client =
        UdsinkClient.builder()
            .socket(socket.toString())
            .backoff(Duration.ofMillis(5), Duration.ofMillis(40))
            .flushInterval(Duration.ofMillis(5))
            .aggregation(false) // a line per increment, to compare with the lines sent
            .errorHandler(rec)
            .build();
    try {
      TestSupport.await("the outage report", WAIT, () -> !rec.errors.isEmpty());
      for (int i = 0; i < 1000; i++) {
        client.increment("early"); // dropped and counted, never thrown
      }
      ServeHarness h = new ServeHarness(dir, 20);
      try {
        AtomicLong delivered = new AtomicLong();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
          client.increment("late");
          client.flush();
          if (client.stats().linesSent() > 0) {
            break;
          }
          java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
        client.close();
        TestSupport.await(
            "delivery",
            WAIT,
            () -> {
              try {
                delivered.set((long) h.counterTotal("late"));
              } catch (Exception e) {
                throw new AssertionError(e);
              }
              return delivered.get() == client.stats().linesSent();
            });
        assertTrue(delivered.get() > 0);
      } finally {
        h.close();
      }
      assertEquals(1, rec.errors.size(), "one report per outage: " + rec.errors);
      CollectorUnavailableException e = (CollectorUnavailableException) rec.errors.get(0);
      assertEquals(CollectorUnavailableException.Reason.NO_SOCKET_FILE, e.reason());
      assertEquals(socket.toString(), e.path());
      assertEquals(1, rec.recoveries.get());
      assertTrue(client.stats().dropped(DropReason.COLLECTOR_UNAVAILABLE) >= 1000);
    } finally {
      client.close();
    }
  }

  @Test
  void shouldLoseNothingAndCountNothingTwiceAcrossACollectorRestartInReliableMode()
      throws Exception {
    ServeHarness first = new ServeHarness(dir, 30, "first.jsonl");
    Recorder rec = new Recorder();
    UdsinkClient client =
        UdsinkClient.builder()
            .socket(first.socket.toString())
            .mode(Mode.RELIABLE)
            .aggregation(false) // every line on the wire: the restart falls between them
            .blockingTimeout(Duration.ofSeconds(30))
            .backoff(Duration.ofMillis(5), Duration.ofMillis(50))
            .flushInterval(Duration.ofMillis(5))
            .closeTimeout(Duration.ofSeconds(20))
            .maxDatagramSize(512)
            .errorHandler(rec)
            .build();
    int total = 60_000;
    java.util.concurrent.CountDownLatch restarted = new java.util.concurrent.CountDownLatch(1);
    Thread emitter =
        new Thread(
            () -> {
              for (int i = 0; i < total; i++) {
                if (i == total / 2) {
                  try {
                    restarted.await(); // the second half goes out while the collector is gone
                  } catch (InterruptedException e) {
                    return;
                  }
                }
                client.count("r", 1, "k:" + (i % 3));
              }
            });
    emitter.start();
    TestSupport.await(
        "the first collector to get traffic",
        WAIT,
        () -> first.telemetry.value(io.udsink.collector.export.TelemetryMetric.DATAGRAMS) > 0);
    first.close(); // lossless stop: what it accepted is flushed; later sends fail
    restarted.countDown();
    TestSupport.await("the client to notice the outage", WAIT, () -> !rec.errors.isEmpty());
    ServeHarness second = new ServeHarness(dir, 30, "second.jsonl");
    try {
      emitter.join();
      client.close();
      ClientStats stats = client.stats();
      assertEquals(0, stats.droppedTotal(), stats.toString());
      TestSupport.await(
          "the second collector to have the rest",
          WAIT,
          () ->
              first.telemetry.value(io.udsink.collector.export.TelemetryMetric.DATAGRAMS)
                      + second.telemetry.value(io.udsink.collector.export.TelemetryMetric.DATAGRAMS)
                  == stats.datagramsSent());
    } finally {
      second.close();
    }
    double got = first.counterTotal("r") + second.counterTotal("r");
    assertEquals(
        total, got, "first=" + first.counterTotal("r") + " second=" + second.counterTotal("r"));
    assertTrue(first.counterTotal("r") > 0 && second.counterTotal("r") > 0);
    assertTrue(rec.recoveries.get() >= 1);
  }

  @Test
  void shouldReportAStoppedCollectorWithATypedExceptionAndKeepEmitsHarmless() throws Exception {
    ServeHarness h = new ServeHarness(dir, 20);
    Recorder rec = new Recorder();
    UdsinkClient client =
        UdsinkClient.builder()
            .socket(h.socket.toString())
            .flushInterval(Duration.ofMillis(2))
            .aggregation(false) // each emit a line: what an outage drops is counted per emit
            .backoff(Duration.ofMillis(50), Duration.ofSeconds(1))
            .errorHandler(rec)
            .build();
    try {
      client.increment("x");
      TestSupport.await("first delivery", WAIT, () -> client.stats().linesSent() == 1);
      h.close();
      TestSupport.await(
          "the outage report",
          WAIT,
          () -> {
            client.increment("x");
            return !rec.errors.isEmpty();
          });
      for (int i = 0; i < 100_000; i++) {
        client.increment("x");
        client.gauge("g", i);
        client.histogram("h", i);
      }
      assertEquals(1, rec.errors.size(), rec.errors.toString());
      CollectorUnavailableException e = (CollectorUnavailableException) rec.errors.get(0);
      assertEquals(h.socket.toString(), e.path());
      assertTrue(e.getMessage().contains(h.socket.toString()), e.getMessage());
      assertTrue(
          client.stats().dropped(DropReason.COLLECTOR_UNAVAILABLE) >= 300_000,
          client.stats().toString());
    } finally {
      client.close();
    }
  }

  @Test
  void shouldReturnPromptlyAndCountDropsWhenTheCollectorIsFrozen() throws Exception {
    Path path = dir.resolve("frozen");
    try (AFUNIXDatagramChannel frozen = AFUNIXDatagramChannel.open()) {
      frozen.bind(AFUNIXSocketAddress.of(path)); // bound, never read
      UdsinkClient client =
          UdsinkClient.builder()
              .socket(path.toString())
              .maxDatagramSize(256)
              .queueCapacity(8)
              .aggregation(false) // each emit a line, so that the frozen queue fills
              .flushInterval(Duration.ofMillis(1))
              .build();
      long slowest = 0;
      for (int i = 0; i < 200_000; i++) {
        long t0 = System.nanoTime();
        client.count("f", 1, "i:" + (i & 7));
        slowest = Math.max(slowest, System.nanoTime() - t0);
      }
      client.close();
      ClientStats s = client.stats();
      assertTrue(
          s.dropped(DropReason.WOULD_BLOCK) + s.dropped(DropReason.QUEUE_FULL) > 0, s.toString());
      assertTrue(s.datagramsSent() <= 11, "the frozen queue holds 11: " + s);
      // non-blocking: no emit waited for the collector (a blocking one would hang here)
      assertTrue(slowest < TimeUnit.SECONDS.toNanos(1), "slowest emit " + slowest + " ns");
    }
  }

  @Test
  void shouldPackLinesIntoFewDatagramsNoneOverTheMaximum() throws Exception {
    Path path = dir.resolve("pack");
    List<String> datagrams = new CopyOnWriteArrayList<>();
    AtomicBoolean done = new AtomicBoolean();
    try (AFUNIXDatagramChannel rx = AFUNIXDatagramChannel.open()) {
      rx.bind(AFUNIXSocketAddress.of(path));
      rx.configureBlocking(false);
      Thread reader =
          new Thread(
              () -> {
                ByteBuffer buf = ByteBuffer.allocate(70_000);
                while (!done.get()) {
                  try {
                    buf.clear();
                    rx.receive(buf);
                    if (buf.position() > 0) {
                      datagrams.add(
                          new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
                    } else {
                      java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                    }
                  } catch (Exception e) {
                    return;
                  }
                }
              });
      reader.start();
      UdsinkClient client =
          UdsinkClient.builder()
              .socket(path.toString())
              .mode(Mode.BLOCKING)
              .maxDatagramSize(512)
              .aggregation(false) // lines as emitted, to count them
              .build();
      for (int i = 0; i < 5000; i++) {
        client.count("pack.line", i);
      }
      client.count("x".repeat(600), 1); // alone larger than a datagram
      client.close();
      TestSupport.await(
          "all datagrams", WAIT, () -> datagrams.size() == client.stats().datagramsSent());
      done.set(true);
      reader.join();
      assertEquals(1, client.stats().dropped(DropReason.OVERSIZE));
      long lines = 0;
      for (String d : datagrams) {
        assertTrue(d.getBytes(StandardCharsets.UTF_8).length <= 512, "datagram of " + d.length());
        for (String l : d.split("\n")) {
          assertTrue(l.matches("pack\\.line:\\d+\\|c"), "a split or broken line: " + l);
          lines++;
        }
      }
      assertEquals(5000, lines);
      assertTrue(datagrams.size() < 5000 / 20, datagrams.size() + " datagrams");
    }
  }
}
