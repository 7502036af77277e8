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
              "--state-dir",
              dir.resolve("state").toString(),
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

        // what comes just before a stop arrives too: with the receivers up, the stop gives the
        // queue time to empty
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

  private UdsinkProcess serve(Path sock, String... more) throws Exception {
    List<String> a =
        new java.util.ArrayList<>(
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
                dir.resolve("state").toString()));
    a.addAll(List.of(more));
    UdsinkProcess u = UdsinkProcess.start(dir, List.of(), a.toArray(new String[0]));
    u.awaitSocket(sock);
    return u;
  }

  @Test
  void shouldAnswerQuantilesOverRemoteWrittenNativeHistogramsWithinTheDocumentedError()
      throws Exception {
    Path sock = dir.resolve("n.sock");
    try (Tsdb prom = Tsdb.prometheus(Files.createDirectory(dir.resolve("p")), "");
        Tsdb vm = Tsdb.victoriaMetrics(Files.createDirectory(dir.resolve("v")))) {
      UdsinkProcess u =
          serve(
              sock,
              "--remote-write",
              prom.remoteWriteUrl().toString(),
              "--remote-write",
              vm.remoteWriteUrl().toString());
      try {
        // 2,000 latencies, log-normal, fixed seed
        java.util.Random r = new java.util.Random(42);
        double[] values = new double[2000];
        StringBuilder d = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
          values[i] = Math.exp(4 + r.nextGaussian()); // ms
          d.append("nh.latency:").append(values[i]).append("|ms\n");
        }
        sendCounts(sock, d.toString().strip(), 1);
        java.util.Arrays.sort(values);
        awaitValue(prom, "Prometheus", "histogram_count(nh_latency)", 2000);
        for (double q : new double[] {0.5, 0.9, 0.99}) {
          double truth = values[(int) Math.ceil(q * values.length) - 1] / 1000;
          double got = prom.value("histogram_quantile(" + q + ", nh_latency)");
          assertTrue(
              Math.abs(got - truth) / truth <= 0.0905,
              "p" + q + ": " + got + " for a true " + truth);
        }
        awaitValue(prom, "Prometheus", "nh_latency_count", 2000);
        awaitValue(vm, "VictoriaMetrics", "nh_latency_count", 2000);
        awaitValue(vm, "VictoriaMetrics", "nh_latency_bucket{le=\"+Inf\"}", 2000);
        assertEquals(0, u.stop(WAIT), u.stderr());
        assertTrue(!u.stderr().contains("native histograms are disabled"), u.stderr());
      } finally {
        u.close();
      }
    }
  }

  @Test
  void shouldFallBackToClassicBucketsForAPrometheusWithoutNativeHistograms() throws Exception {
    Path sock = dir.resolve("c.sock");
    try (Tsdb prom = Tsdb.prometheus(Files.createDirectory(dir.resolve("p")), "", false)) {
      UdsinkProcess u = serve(sock, "--remote-write", prom.remoteWriteUrl().toString());
      try {
        StringBuilder d = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
          d.append("fb.latency:").append(i).append("|ms\n");
        }
        sendCounts(sock, d.toString().strip(), 1);
        sendCounts(sock, "fb.hits:1|c", 300);
        awaitValue(prom, "Prometheus", "fb_latency_count", 100);
        awaitValue(prom, "Prometheus", "fb_latency_bucket{le=\"0.05\"}", 50);
        awaitValue(prom, "Prometheus", "fb_hits_total", 300);
        sendCounts(sock, "fb.hits:1|c", 200); // nothing stalls after the fallback
        awaitValue(prom, "Prometheus", "fb_hits_total", 500);
        assertEquals(0, u.stop(WAIT), u.stderr());
        String err = u.stderr();
        int first = err.indexOf("native histograms are disabled");
        assertTrue(first >= 0, err);
        assertEquals(-1, err.indexOf("native histograms are disabled", first + 1), "said once");
      } finally {
        u.close();
      }
    }
  }

  @Test
  void shouldEndAnExpiredSeriesInPrometheusWithAStaleMarker() throws Exception {
    Path sock = dir.resolve("s.sock");
    try (Tsdb prom = Tsdb.prometheus(Files.createDirectory(dir.resolve("p")), "")) {
      UdsinkProcess u =
          serve(sock, "--ttl", "2s", "--remote-write", prom.remoteWriteUrl().toString());
      try {
        sendCounts(sock, "st.gone:1|c", 5);
        sendCounts(sock, "st.lat:5|ms", 3);
        awaitValue(prom, "Prometheus", "st_gone_total", 5);
        awaitValue(prom, "Prometheus", "histogram_count(st_lat)", 3);
        // no more samples: after the TTL udsink sends the marker, and Prometheus shows nothing
        // at once, where without it the last value would stay for 5 minutes
        TestSupport.poll(
            "no value once the series expired",
            Duration.ofSeconds(20),
            Duration.ofMillis(200),
            () ->
                Double.isNaN(prom.value("st_gone_total"))
                    && Double.isNaN(prom.value("st_lat_count"))
                    && Double.isNaN(prom.value("histogram_count(st_lat)")));
        assertEquals(0, u.stop(WAIT), u.stderr());
      } finally {
        u.close();
      }
    }
  }
}
