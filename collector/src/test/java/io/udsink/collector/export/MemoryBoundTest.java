package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkProcess;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * Memory is bounded by settings, not by senders: udsink in a 256 MB heap, its JSON output
 * blocked (so every interval is also kept merged), flooded with the worst a sender can send.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MemoryBoundTest {
  @TempDir Path dir;

  /** Packs lines into datagrams of about 8 KB and sends them, waiting while the queue is full. */
  static final class Flood implements AutoCloseable {
    private final AFUNIXDatagramChannel ch;
    private final StringBuilder sb = new StringBuilder();

    Flood(Path socket) throws java.io.IOException {
      ch = TestSupport.connect(socket);
    }

    void line(CharSequence line) throws java.io.IOException {
      if (sb.length() + line.length() + 1 > 8000) {
        flush();
      }
      sb.append(line).append('\n');
    }

    void flush() throws java.io.IOException {
      if (sb.length() == 0) {
        return;
      }
      ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
      TestSupport.sendWaiting(ch, b);
      sb.setLength(0);
    }

    @Override
    public void close() throws java.io.IOException {
      flush();
      ch.close();
    }
  }

  @Test
  void shouldStayWithinA256MbHeapWhateverTheSendersSend() throws Exception {
    Path sock = dir.resolve("m");
    Path fifo = BlockedOutputTest.mkfifo(dir.resolve("fifo"));
    int port = UdsinkProcess.freePort();
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir,
            List.of("-Xmx256m", "-XX:+UseSerialGC"),
            "serve",
            "--socket",
            sock.toString(),
            "--out",
            fifo.toString(),
            "--http",
            "127.0.0.1:" + port,
            "--flush-interval",
            "300ms",
            "--max-series",
            "1000",
            "--stop-timeout",
            "1s")) {
      p.awaitSocket(sock);
      String tags = "|#" + "t".repeat(3000) + ":v";
      try (Flood f = new Flood(sock)) {
        for (int i = 0; i < 3_000_000; i++) {
          f.line("big.set:member-" + i + "|s");
        }
        for (int i = 0; i < 300_000; i++) {
          f.line("distinct.counter." + i + ":1|c");
          f.line("distinct.gauge." + i + ":+1|g");
        }
        // the largest series there are: long names and tags, sketches spanning every magnitude
        for (int s = 0; s < 1000; s++) {
          String name = "wide.distribution." + s + "." + "n".repeat(900);
          for (int e = -300; e <= 300; e += 2) {
            f.line(name + ":1e" + e + ":-1e" + e + "|d" + tags);
          }
          f.line("wide.set." + s + ":" + s + "|s" + tags);
        }
      }
      TestSupport.await(
          "a scrape after the flood",
          Duration.ofSeconds(60),
          () -> UdsinkProcess.get(port, "/metrics") != null);
      String text = UdsinkProcess.get(port, "/metrics");
      assertNotNull(text);
      Map<String, Double> m = ServeHarness.parseExposition(text);
      assertTrue(m.get("udsink_dropped_samples_max_series_total") > 500_000, text.length() + "");
      assertTrue(m.get("udsink_prometheus_series") <= 1000);
      assertTrue(m.get("udsink_output_backlog_intervals{output=\"jsonl\"}") > 1);
      assertTrue(p.process.isAlive(), p.stderr());
      int code = p.stop(Duration.ofSeconds(60));
      String err = p.stderr();
      assertFalse(err.contains("OutOfMemoryError") || err.contains("out of memory"), err);
      assertEquals(1, code, "exit 1: the blocked output's lines were counted as not written");
      assertTrue(err.contains("lines not written by output jsonl"), err);
      assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
    }
  }

  /** The most a process' resident memory may exceed its maximum heap: docs/metrics.md. */
  static final long JVM_OVERHEAD_MIB = 160;

  /** A process' resident set, from /proc. */
  static long rssMib(Process p) throws java.io.IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new AssertionError("no VmRSS for " + p.pid());
  }

  /**
   * At the defaults, as the launchers run it (no -Xmx given: the heap comes from --max-series),
   * a flood of distinct series with the JSON output blocked ends in counted drops, and the
   * process stays within its heap plus the stated JVM overhead.
   */
  @Test
  void shouldEndASeriesFloodInCountedDropsAtTheDefaultSettings() throws Exception {
    Path sock = dir.resolve("d");
    Path fifo = BlockedOutputTest.mkfifo(dir.resolve("fifo"));
    int port = UdsinkProcess.freePort();
    String[] args = {
      "serve",
      "--socket",
      sock.toString(),
      "--out",
      fifo.toString(),
      "--http",
      "127.0.0.1:" + port,
      "--flush-interval",
      "2s",
      "--stop-timeout",
      "1s"
    };
    String xmx =
        UdsinkProcess.launcherOptions(args).stream()
            .filter(o -> o.startsWith("-Xmx"))
            .findFirst()
            .orElseThrow();
    long heapMib = Long.parseLong(xmx.replaceAll("[^0-9]", ""));
    assertEquals(64 + (100_000 * 4 + 1023) / 1024, heapMib, "64 MiB + 4 KiB per series: " + xmx);
    try (UdsinkProcess p = UdsinkProcess.start(dir, List.of(), args)) {
      p.awaitSocket(sock);
      String tags = "|#env:production,service:" + "s".repeat(40) + ",host:h";
      long peak = 0;
      try (Flood f = new Flood(sock)) {
        for (int round = 0; round < 6; round++) {
          for (int i = 0; i < 150_000; i++) {
            f.line("flood.r" + round + ".counter." + i + ":1|c" + tags);
          }
          f.flush();
          peak = Math.max(peak, rssMib(p.process));
        }
      }
      // the flood's intervals reach /metrics: each is full, and what did not fit is counted
      TestSupport.await(
          "the flood's intervals on /metrics",
          Duration.ofSeconds(60),
          () -> {
            String text = UdsinkProcess.get(port, "/metrics");
            if (text == null) {
              return false;
            }
            Map<String, Double> m = ServeHarness.parseExposition(text);
            return m.get("udsink_dropped_samples_max_series_total") > 0
                && m.get("udsink_prometheus_series") == 100_000;
          });
      peak = Math.max(peak, rssMib(p.process));
      assertTrue(p.process.isAlive(), p.stderr());
      assertTrue(
          peak <= heapMib + JVM_OVERHEAD_MIB,
          "resident " + peak + " MiB, heap " + heapMib + " MiB + " + JVM_OVERHEAD_MIB);
      p.stop(Duration.ofSeconds(60));
      String err = p.stderr();
      assertFalse(err.contains("OutOfMemoryError") || err.contains("out of memory"), err);
      System.out.println("series flood at the defaults: peak resident " + peak + " MiB");
    }
  }

  @Test
  void shouldStopTheNormalWayAndExitNonZeroWhenMemoryRunsOut() throws Exception {
    Path sock = dir.resolve("o");
    Path out = dir.resolve("out.jsonl");
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir,
            List.of("-Xmx48m", "-XX:+UseSerialGC"),
            "serve",
            "--socket",
            sock.toString(),
            "--out",
            out.toString(),
            "--http",
            "off",
            "--flush-interval",
            "1h",
            "--max-series",
            "100000000",
            "--stop-timeout",
            "5s")) {
      p.awaitSocket(sock);
      String tags = "|#" + "t".repeat(3000) + ":v";
      try (Flood f = new Flood(sock)) {
        for (int i = 0; i < 2_000_000 && p.process.isAlive(); i++) {
          f.line("oom.series." + i + "." + "n".repeat(1000) + ":1|c" + tags);
        }
      } catch (Exception | AssertionError e) {
        // the collector went away mid-flood: expected
      }
      assertTrue(p.process.waitFor(120, TimeUnit.SECONDS), "udsink did not stop by itself");
      String err = p.stderr();
      assertEquals(1, p.process.exitValue(), err);
      assertTrue(err.contains("fatal") && err.contains("out of memory"), err);
      assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "the socket was removed");
    }
  }
}
