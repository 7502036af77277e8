package io.udsink.collector.export.remotewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.Tsdb;
import io.udsink.collector.UdsinkProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * {@code serve --remote-write} into a real Prometheus and a real VictoriaMetrics at once: after
 * the flushes, and after a stop, both hold exactly the totals sent.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RemoteWriteReceiversTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  private static void sendCounts(Path sock, String line, int times) throws Exception {
    try (AFUNIXDatagramChannel ch = TestSupport.connect(sock)) {
      StringBuilder d = new StringBuilder();
      for (int i = 0; i < times; i++) {
        d.append(line).append('\n');
        if (d.length() > 4000 || i == times - 1) {
          TestSupport.send(ch, d.toString());
          d.setLength(0);
        }
      }
    }
  }

  private static void awaitValue(Tsdb db, String name, String promql, double expected) {
    TestSupport.poll(
        name + ": " + promql + " == " + expected,
        WAIT,
        Duration.ofMillis(250),
        () -> db.value(promql) == expected);
  }

  @Test
  void shouldLandExactTotalsInPrometheusAndVictoriaMetrics() throws Exception {
    Path promDir = Files.createDirectory(dir.resolve("p"));
    Path vmDir = Files.createDirectory(dir.resolve("v"));
    Path sock = dir.resolve("m.sock");
    try (Tsdb prom = Tsdb.prometheus(promDir, "");
        Tsdb vm = Tsdb.victoriaMetrics(vmDir)) {
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
              "off",
              "--flush-interval",
              "200ms",
              "--remote-write",
              prom.remoteWriteUrl().toString(),
              "--remote-write",
              vm.remoteWriteUrl().toString(),
              "--remote-write-label",
              "region=eu",
              "--remote-write-label",
              "instance=host-1");
      try {
        u.awaitSocket(sock);
        for (String code : List.of("200", "404", "500", "503")) {
          sendCounts(sock, "rw.requests:1|c|#code:" + code, 2500);
        }
        sendCounts(sock, "rw.sampled:1|c|@0.5", 1000);
        StringBuilder timers = new StringBuilder();
        for (int i = 1; i <= 400; i++) {
          timers.append("rw.latency:").append(i).append("|ms\n");
        }
        sendCounts(sock, timers.toString().strip(), 1);
        sendCounts(sock, "rw.temperature:21.5|g", 1);

        for (Tsdb db : List.of(prom, vm)) {
          String n = db == prom ? "Prometheus" : "VictoriaMetrics";
          awaitValue(db, n, "sum(rw_requests_total)", 10_000);
          awaitValue(
              db,
              n,
              "rw_requests_total{code=\"503\",job=\"udsink\",instance=\"host-1\","
                  + "region=\"eu\"}",
              2500);
          awaitValue(db, n, "rw_sampled_total", 2000);
          awaitValue(db, n, "rw_latency_count", 400);
          awaitValue(db, n, "rw_latency_bucket{le=\"0.1\"}", 100);
          awaitValue(db, n, "rw_latency_bucket{le=\"+Inf\"}", 400);
          awaitValue(db, n, "rw_temperature", 21.5);
          double median = db.value("histogram_quantile(0.5, rw_latency_bucket)");
          assertTrue(median > 0.1 && median <= 0.25, n + " median " + median);
        }

        // what comes just before a stop arrives too: the stop waits for the queue
        sendCounts(sock, "rw.requests:1|c|#code:200", 500);
        assertEquals(0, u.stop(WAIT), u.stderr());
        for (Tsdb db : List.of(prom, vm)) {
          String n = db == prom ? "Prometheus" : "VictoriaMetrics";
          awaitValue(db, n, "sum(rw_requests_total)", 10_500);
          awaitValue(db, n, "sum(udsink_output_rejected_samples_total)", 0);
        }
        assertTrue(prom.value("sum(udsink_output_sent_samples_total)") > 0);
      } finally {
        u.close();
      }
    }
  }
}
