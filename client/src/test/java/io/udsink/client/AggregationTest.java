package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client-side aggregation: exact totals from many threads, and what it leaves as it is. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AggregationTest {
  private Path dir;
  private Collector collector;

  @BeforeEach
  void setUp() throws Exception {
    dir = Files.createTempDirectory("udsink-agg");
    collector = new Collector(dir.resolve("c.sock"));
  }

  @AfterEach
  void tearDown() throws Exception {
    collector.close();
    Files.deleteIfExists(dir);
  }

  private UdsinkClientBuilder builder() {
    return UdsinkClient.builder()
        .socket(collector.path.toString())
        .mode(Mode.BLOCKING)
        .originDetection(false)
        .errorHandler(e -> {});
  }

  @Test
  void shouldAddEveryCountFromEightThreadsAndKeepEachGaugesLastValue() throws Exception {
    int threads = 8;
    int perThread = 200_000;
    UdsinkClient c = builder().aggregationInterval(Duration.ofMillis(50)).build();
    Tags shared = Tags.of("route:/a");
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final int id = t;
      ts.add(
          new Thread(
              () -> {
                Random r = new Random(id);
                for (int i = 0; i < perThread; i++) {
                  c.count("hits", 1, "shard:" + (i & 3));
                  c.count("hits", 2, shared);
                  c.count("bytes", 0.5, "t:x");
                  c.gauge("g.t" + id, i);
                  if (i % 100 == 0) {
                    c.set("users", "u" + r.nextInt(50));
                    c.distribution("lat", i % 7);
                  }
                }
              }));
    }
    ts.forEach(Thread::start);
    for (Thread t : ts) {
      t.join();
    }
    c.close();
    ClientStats s = c.stats();
    assertEquals(0, s.droppedTotal(), s.toString());
    long each = (long) threads * perThread;
    Collector.await(
        "the totals: " + collector.sums,
        30,
        () ->
            collector.sum("hits#route:/a") == each * 2.0
                && collector.sum("bytes#t:x") == each * 0.5
                && collector.samples("lat") == threads * (perThread / 100L));
    for (int k = 0; k < 4; k++) {
      assertEquals(
          each / 4.0,
          collector.sum("hits#shard:" + k),
          "shard "
              + k
              + ": "
              + collector.sums
              + " "
              + s
              + " lines "
              + collector.lines.stream().filter(l -> l.startsWith("hits:")).toList());
    }
    assertEquals(each * 2.0, collector.sum("hits#route:/a"));
    assertEquals(each * 0.5, collector.sum("bytes#t:x"));
    assertEquals(threads * (perThread / 100L), collector.samples("lat"), "every sample sent");
    assertTrue(
        collector.lines.stream().anyMatch(l -> l.matches("lat:[0-9]+(:[0-9]+){10,}\\|d")),
        "samples packed into multi-value lines");
    for (int t = 0; t < threads; t++) {
      String last = null;
      for (String l : collector.lines) {
        if (l.startsWith("g.t" + t + ":")) {
          last = l;
        }
      }
      assertEquals("g.t" + t + ":" + (perThread - 1) + "|g", last, "the last value sent last");
    }
    Set<String> members = new HashSet<>();
    for (String l : collector.lines) {
      if (l.startsWith("users:")) {
        members.add(l.substring(6, l.indexOf('|')));
      }
    }
    assertEquals(50, members.size(), "sets unite: " + members);
    assertTrue(
        s.linesSent() < each / 100, "aggregated: " + s.linesSent() + " lines for " + each * 3);
  }

  @Test
  void shouldDeliverEveryCountOfOneThreadEmittingFlatOut() throws Exception {
    UdsinkClient c = builder().mode(Mode.NON_BLOCKING).build();
    long n = 5_000_000;
    for (long i = 0; i < n; i++) {
      c.increment("flat");
    }
    c.close(); // sends everything aggregated
    ClientStats s = c.stats();
    assertEquals(0, s.droppedTotal(), s.toString());
    Collector.await("the totals", 30, () -> collector.sum("flat") == n);
  }

  @Test
  void shouldSendTimestampedAndSampledLinesAsTheyCome() throws Exception {
    UdsinkClient c = builder().build();
    c.countWithTimestamp("ts.c", 5, Instant.ofEpochSecond(1_700_000_000L), "k:v");
    c.gaugeWithTimestamp("ts.g", 7.5, Instant.ofEpochSecond(1_700_000_001L));
    c.countWithTimestamp("ts.null", 1, null);
    for (int i = 0; i < 1000; i++) {
      c.gauge("sampled.g", 3, 0.5);
      c.time("sampled.t", 4, 0.25);
      c.set("sampled.s", "m", 0.5);
    }
    c.close();
    Collector.await(
        "the lines",
        30,
        () ->
            collector.lines.containsAll(
                List.of("sampled.g:3|g|@0.5", "sampled.s:m|s|@0.5", "ts.c:5|c|#k:v|T1700000000")));
    assertTrue(collector.lines.contains("ts.c:5|c|#k:v|T1700000000"), collector.lines.toString());
    assertTrue(collector.lines.contains("ts.g:7.5|g|T1700000001"), collector.lines.toString());
    assertTrue(collector.lines.contains("sampled.g:3|g|@0.5"), collector.lines.toString());
    assertTrue(collector.lines.contains("sampled.s:m|s|@0.5"), collector.lines.toString());
    long timed = collector.samples("sampled.t");
    assertTrue(timed > 150 && timed < 350, "about a quarter of 1000: " + timed);
    assertTrue(
        collector.lines.stream()
            .anyMatch(l -> l.startsWith("sampled.t:4:4") && l.endsWith("|@0.25")),
        collector.lines.toString());
    assertEquals(1, c.stats().dropped(DropReason.INVALID), "a null timestamp");
  }

  @Test
  void shouldSendWhatWasAggregatedWhenClosedAndDropWhatComesAfter() throws Exception {
    UdsinkClient c = builder().aggregationInterval(Duration.ofHours(1)).build();
    c.count("late", 3);
    c.gauge("level", 2);
    c.close();
    c.count("late", 1);
    Collector.await("the close's flush", 30, () -> collector.sum("late") == 3);
    assertTrue(collector.lines.contains("level:2|g"), collector.lines.toString());
    assertEquals(1, c.stats().dropped(DropReason.CLOSED));
  }

  @Test
  void shouldNeverThrowForABadArgumentOnAnyOverload() {
    UdsinkClient c = builder().build();
    c.time("t", (Duration) null);
    c.count(null, 1);
    c.count("x", Double.NaN);
    c.gauge("x", 1, 0.0);
    c.set("x", null);
    c.distribution("x", 1, 2.0);
    c.event(null);
    c.serviceCheck(null);
    c.sendRaw(null);
    c.count("x", 1, (String[]) null);
    c.count("x", 1, (Tags) null);
    c.close();
    assertEquals(9, c.stats().dropped(DropReason.INVALID), c.stats().toString());
  }

  @Test
  void shouldDoNothingAsTheNoOpClient() {
    UdsinkClient c = UdsinkClient.noOp();
    c.count("x", 1);
    c.gauge("g", 1);
    c.close();
    assertEquals(0, c.stats().linesSent());
    assertEquals(0, c.stats().droppedTotal());
  }

  @Test
  void shouldSendItsOwnCountsAsMetricsWhenAsked() throws Exception {
    UdsinkClient c = builder().telemetry(Duration.ofMillis(50)).build();
    c.count("x", 1);
    c.count("", 1); // invalid: counted, and reported
    Collector.await(
        "the client's own metrics",
        30,
        () ->
            collector.lines.stream().anyMatch(l -> l.startsWith("udsink.client.lines_sent:"))
                && collector.lines.contains("udsink.client.lines_dropped:1|c|#reason:invalid")
                // in a later datagram of the same report: waited for, not assumed
                && collector.lines.stream()
                    .anyMatch(l -> l.startsWith("udsink.client.aggregated_contexts:")));
    c.close();
  }

  @Test
  void shouldSendExactTotalsBeyondTheContextBound() throws Exception {
    UdsinkClient c = builder().maxContexts(2).build();
    for (int i = 0; i < 1000; i++) {
      c.count("many.s" + (i % 10), 1); // 10 series, 2 aggregated: the others as they come
      c.distribution("many.d" + (i % 10), 1);
    }
    c.close();
    for (int k = 0; k < 10; k++) {
      String name = "many.s" + k;
      String d = "many.d" + k;
      Collector.await(name, 30, () -> collector.sum(name) == 100 && collector.samples(d) == 100);
    }
    assertEquals(0, c.stats().droppedTotal(), c.stats().toString());
  }
}
