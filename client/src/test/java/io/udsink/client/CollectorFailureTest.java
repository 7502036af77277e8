package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The collector failing under a client that aggregates (the default): closed, its socket
 * deleted, frozen (its queue full, EAGAIN), restarted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CollectorFailureTest {
  private Path dir;
  private final List<Exception> errors = new CopyOnWriteArrayList<>();
  private final AtomicInteger recoveries = new AtomicInteger();

  private final ClientErrorHandler recorder =
      new ClientErrorHandler() {
        @Override
        public void onError(Exception e) {
          errors.add(e);
        }

        @Override
        public void onRecovered(String path, Duration outage) {
          recoveries.incrementAndGet();
        }
      };

  @BeforeEach
  void setUp() throws Exception {
    dir = Files.createTempDirectory("udsink-fail");
  }

  @AfterEach
  void tearDown() throws Exception {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private UdsinkClientBuilder builder(Path socket) {
    return UdsinkClient.builder()
        .socket(socket.toString())
        .originDetection(false)
        .aggregationInterval(Duration.ofMillis(20))
        .backoff(Duration.ofMillis(5), Duration.ofMillis(40))
        .errorHandler(recorder);
  }

  private static long cpuNs(String threadName) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals(threadName)) {
        return mx.getThreadCpuTime(t.getId());
      }
    }
    throw new AssertionError("no thread " + threadName);
  }

  @Test
  void shouldCostNoCpuWhileTheCollectorIsFrozenAndDeliverOnceItThaws() throws Exception {
    try (Collector c = new Collector(dir.resolve("f.sock"))) {
      c.freeze();
      UdsinkClient client =
          builder(c.path).mode(Mode.BLOCKING).blockingTimeout(Duration.ofSeconds(30)).build();
      // fill the frozen queue: each flush sends one datagram of distinct series
      for (int i = 0; i < 40; i++) {
        client.count("frozen.s" + i, 1);
        client.flush();
      }
      long before = cpuNs("udsink-client-sender");
      long emitsBefore = System.nanoTime();
      for (int i = 0; i < 1_000_000; i++) {
        client.count("frozen.hits", 1); // aggregated: the caller never waits
      }
      long emitNs = System.nanoTime() - emitsBefore;
      Thread.sleep(1000); // measuring idleness over time: no condition marks it
      long used = cpuNs("udsink-client-sender") - before;
      assertTrue(
          used < TimeUnit.MILLISECONDS.toNanos(50),
          "the client's thread used " + used / 1_000_000 + " ms of CPU in a frozen second");
      assertTrue(emitNs < TimeUnit.SECONDS.toNanos(5), "a million emits took " + emitNs + " ns");
      c.thaw();
      client.close();
      Collector.await("the count after the thaw", 30, () -> c.sum("frozen.hits") == 1_000_000);
      assertEquals(0, client.stats().droppedTotal(), client.stats().toString());
    }
  }

  @Test
  void shouldReportADeletedSocketOnceAndDeliverWhenItIsBack() throws Exception {
    Path sock = dir.resolve("d.sock");
    Collector first = new Collector(sock);
    UdsinkClient client = builder(sock).build();
    client.count("del", 1);
    Collector.await("delivery", 30, () -> first.sum("del") == 1);
    first.close(); // the socket file is gone
    Collector.await(
        "the outage",
        30,
        () -> {
          client.count("del", 1);
          return !errors.isEmpty();
        });
    CollectorUnavailableException e = (CollectorUnavailableException) errors.get(0);
    assertTrue(
        e.reason() == CollectorUnavailableException.Reason.NO_SOCKET_FILE
            || e.reason() == CollectorUnavailableException.Reason.REFUSED,
        e.toString());
    try (Collector second = new Collector(sock)) {
      Collector.await(
          "the recovery",
          30,
          () -> {
            client.count("del", 1);
            return second.sum("del") > 0;
          });
      assertEquals(1, errors.size(), "one report per outage: " + errors);
      assertEquals(1, recoveries.get());
      client.close();
    }
  }

  @Test
  void shouldSendEveryCountExactlyOnceAcrossARestartInReliableMode() throws Exception {
    Path sock = dir.resolve("r.sock");
    Collector first = new Collector(sock);
    UdsinkClient client =
        builder(sock).mode(Mode.RELIABLE).closeTimeout(Duration.ofSeconds(20)).build();
    for (int i = 0; i < 100_000; i++) {
      client.count("rel", 1, "k:" + (i % 3));
    }
    Collector.await("the first part", 30, () -> first.sum("rel#k:0") > 0);
    double firstPart = 0;
    first.close();
    for (int k = 0; k < 3; k++) {
      firstPart += first.sum("rel#k:" + k);
    }
    for (int i = 0; i < 100_000; i++) {
      client.count("rel", 1, "k:" + (i % 3));
    }
    Collector.await("the outage", 30, () -> !errors.isEmpty());
    try (Collector second = new Collector(sock)) {
      client.close();
      double first0 = firstPart;
      Collector.await(
          "the rest in the second",
          30,
          () ->
              second.sum("rel#k:0") + second.sum("rel#k:1") + second.sum("rel#k:2") + first0
                  == 200_000);
      assertEquals(0, client.stats().droppedTotal(), client.stats().toString());
    }
  }
}
