package io.udsink.collector.export.remotewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.Tsdb;
import io.udsink.collector.UdsinkProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * Remote write that loses nothing, against a real Prometheus and a real VictoriaMetrics: an
 * outage through a takeover and a restart of udsink, and a disk that fills up.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RemoteWriteDurabilityTest {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final int COUNTERS = 12;

  @TempDir Path dir;

  private final Map<String, Long> sent = new TreeMap<>();

  /** Sends {@code rounds} increments of random size to every counter, counting them. */
  private void sendRound(Path sock, int round) throws IOException {
    try (AFUNIXDatagramChannel ch = TestSupport.connect(sock)) {
      StringBuilder d = new StringBuilder();
      for (int c = 0; c < COUNTERS; c++) {
        long n = 1 + (round * 7L + c * 3L) % 11;
        String name = "dur_hits";
        String tag = "shard:s" + c;
        d.append(name).append(':').append(n).append("|c|#").append(tag).append('\n');
        sent.merge("s" + c, n, Long::sum);
      }
      TestSupport.sendWaiting(ch, d.toString());
    }
  }

  private String[] serveArgs(Path sock, Path state, Tsdb prom, Tsdb vm, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "serve",
                "--socket",
                sock.toString(),
                "--out",
                "off",
                "--http",
                "off",
                "--flush-interval",
                "200ms",
                "--state-dir",
                state.toString(),
                "--remote-write",
                prom.remoteWriteUrl().toString(),
                "--remote-write",
                vm.remoteWriteUrl().toString()));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }

  /** Each shard's increase as the receiver's raw samples give it, resets counted. */
  private static Map<String, Long> increases(Tsdb db) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    for (Tsdb.Raw r : db.raw("dur_hits_total", "15m")) {
      out.merge(r.metric().path("shard").asText(), Math.round(r.increase()), Long::sum);
    }
    return out;
  }

  @Test
  void shouldLoseNoIncrementThroughAnOutageATakeoverAndARestart() throws Exception {
    Path sock = dir.resolve("d.sock");
    Path state = dir.resolve("state");
    try (Tsdb prom = Tsdb.prometheus(Files.createDirectory(dir.resolve("p")), "");
        Tsdb vm = Tsdb.victoriaMetrics(Files.createDirectory(dir.resolve("v")))) {
      List<UdsinkProcess> all = new ArrayList<>();
      try {
        UdsinkProcess first = UdsinkProcess.start(dir, List.of(), serveArgs(sock, state, prom, vm));
        all.add(first);
        first.awaitSocket(sock);
        for (int r = 0; r < 5; r++) {
          sendRound(sock, r);
        }
        for (Tsdb db : List.of(prom, vm)) {
          TestSupport.poll(
              "before the outage",
              WAIT,
              Duration.ofMillis(250),
              () -> {
                try {
                  return increases(db).equals(sent);
                } catch (Exception e) {
                  return false;
                }
              });
        }

        // the outage: both receivers away for 20 s, udsink taken over, then restarted
        long outageStart = System.nanoTime();
        prom.stop();
        vm.stop();
        for (int r = 5; r < 10; r++) {
          sendRound(sock, r);
        }
        UdsinkProcess second =
            UdsinkProcess.start(dir, List.of(), serveArgs(sock, state, prom, vm, "--takeover"));
        all.add(second);
        assertEquals(0, first.waitFor(WAIT), first.stderr());
        for (int r = 10; r < 15; r++) {
          sendRound(sock, r);
        }
        assertEquals(0, second.stop(WAIT), second.stderr());
        UdsinkProcess third = UdsinkProcess.start(dir, List.of(), serveArgs(sock, state, prom, vm));
        all.add(third);
        third.awaitSocket(sock);
        for (int r = 15; r < 20; r++) {
          sendRound(sock, r);
        }
        long left = TimeUnit.SECONDS.toNanos(20) - (System.nanoTime() - outageStart);
        if (left > 0) {
          Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left)); // the outage is a length of time
        }
        prom.restart();
        vm.restart();
        for (Tsdb db : List.of(prom, vm)) {
          String n = db == prom ? "Prometheus" : "VictoriaMetrics";
          try {
            TestSupport.poll(
                n + ": every increment, from the raw samples",
                WAIT,
                Duration.ofMillis(500),
                () -> {
                  try {
                    return increases(db).equals(sent);
                  } catch (Exception e) {
                    return false;
                  }
                });
          } catch (AssertionError e) {
            throw new AssertionError(
                n + ": sent " + sent + ", stored " + increases(db) + "; " + third.stderr(), e);
          }
        }
        assertEquals(0, third.stop(WAIT), third.stderr());
        for (UdsinkProcess p : all) {
          assertTrue(
              !p.stderr().contains("dropped the oldest") && !p.stderr().contains("damaged"),
              p.stderr());
        }
      } finally {
        all.forEach(UdsinkProcess::close);
      }
    }
  }

  @Test
  void shouldStayUpOnAFullDiskCountingDropsAndThenDeliverTheTotals() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (System.getenv("CI") == null) {
      Assumptions.assumeTrue(root, "mounting a tmpfs needs root");
    }
    assertTrue(root, "CI runs as root: a tmpfs is mounted for this test");
    Path state = Files.createDirectory(dir.resolve("state"));
    Process m =
        new ProcessBuilder(
                "mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", state.toString())
            .redirectErrorStream(true)
            .start();
    assertEquals(0, m.waitFor(), new String(m.getInputStream().readAllBytes()));
    Path sock = dir.resolve("f.sock");
    int port = UdsinkProcess.freePort();
    try (Tsdb vm = Tsdb.victoriaMetrics(Files.createDirectory(dir.resolve("v")))) {
      vm.stop();
      UdsinkProcess u =
          UdsinkProcess.start(
              dir,
              List.of(),
              "serve",
              "--socket",
              sock.toString(),
              "--out",
              "off",
              "--http",
              "127.0.0.1:" + port,
              "--flush-interval",
              "100ms",
              "--state-dir",
              state.toString(),
              "--remote-write-queue-size",
              "64MiB", // far more than the disk holds
              "--remote-write",
              vm.remoteWriteUrl().toString());
      try {
        u.awaitSocket(sock);
        long total = 0;
        try (AFUNIXDatagramChannel ch = TestSupport.connect(sock)) {
          // 3,000 series: each flush while the receiver is away queues tens of KB
          for (int round = 0; round < 40; round++) {
            StringBuilder d = new StringBuilder();
            for (int i = 0; i < 3000; i++) {
              d.append("full.hits:1|c|#s:").append(i).append('\n');
              if (d.length() > 7000) {
                TestSupport.sendWaiting(ch, d.toString());
                d.setLength(0);
              }
            }
            TestSupport.sendWaiting(ch, d.toString());
            total += 3000;
          }
        }
        TestSupport.await(
            "drops counted on the full disk",
            WAIT,
            () -> metric(port, "udsink_output_dropped_samples_total") > 0);
        assertTrue(u.stderr().contains("No space left on device"), u.stderr());
        assertTrue(metric(port, "udsink_output_queue_bytes") <= 512 * 1024);
        vm.restart();
        long want = total;
        TestSupport.poll(
            "the totals after the disk was full",
            WAIT,
            Duration.ofMillis(500),
            () -> vm.value("sum(full_hits_total)") == want);
        assertEquals(0, u.stop(WAIT), u.stderr());
      } finally {
        u.close();
        new ProcessBuilder("umount", "-l", state.toString()).start().waitFor();
      }
    }
  }

  private static double metric(int port, String name) {
    String text = UdsinkProcess.get(port, "/metrics");
    if (text == null) {
      return -1;
    }
    double sum = 0;
    boolean any = false;
    for (String line : text.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        any = true;
      }
    }
    return any ? sum : -1;
  }
}
