package io.udsink.collector.export.prometheus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.Tsdb;
import io.udsink.collector.UdsinkProcess;
import io.udsink.collector.mapping.ObserverSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/**
 * A real Prometheus (native histograms enabled) scrapes two udsink instances, one showing timers
 * as native histograms, one as classic ones; {@code histogram_quantile} over what it stored must
 * agree with the samples sent within the documented error: the estimate lies in the bucket that
 * holds the true quantile (native, bucket factor 1.1: at most 9.05% off).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PrometheusScrapeTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int SAMPLES = 3000;

  @TempDir Path dir;

  @Test
  void shouldGiveQuantilesWithinTheBucketOfTheTrueOneForNativeAndClassic() throws Exception {
    Random rnd = new Random(42);
    double[] ms = new double[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      ms[i] = Math.round(Math.exp(rnd.nextGaussian() * 1.2 + 4) * 100) / 100.0;
    }
    int nativePort = UdsinkProcess.freePort();
    int classicPort = UdsinkProcess.freePort();
    Path nsock = dir.resolve("n.sock");
    Path csock = dir.resolve("c.sock");
    try (UdsinkProcess nat =
            UdsinkProcess.start(
                dir,
                List.of(),
                "serve",
                "--socket",
                nsock.toString(),
                "--out",
                "off",
                "--http",
                "127.0.0.1:" + nativePort,
                "--flush-interval",
                "200ms",
                "--observer-type",
                "native");
        UdsinkProcess cls =
            UdsinkProcess.start(
                dir,
                List.of(),
                "serve",
                "--socket",
                csock.toString(),
                "--out",
                "off",
                "--http",
                "127.0.0.1:" + classicPort,
                "--flush-interval",
                "200ms",
                "--observer-type",
                "histogram");
        Tsdb prom =
            Tsdb.prometheus(
                dir,
                ""
                    + "- job_name: native\n  static_configs:\n  - targets: ['127.0.0.1:"
                    + nativePort
                    + "']\n"
                    + "- job_name: classic\n  static_configs:\n  - targets: ['127.0.0.1:"
                    + classicPort
                    + "']\n")) {
      nat.awaitSocket(nsock);
      cls.awaitSocket(csock);
      for (Path sock : List.of(nsock, csock)) {
        try (AFUNIXDatagramChannel ch = TestSupport.connect(sock)) {
          StringBuilder d = new StringBuilder();
          for (int i = 0; i < SAMPLES; i++) {
            d.append("api.latency:").append(ms[i]).append("|ms|#route:home\n");
            if (d.length() > 4000 || i == SAMPLES - 1) {
              TestSupport.send(ch, d.toString());
              d.setLength(0);
            }
          }
        }
      }
      TestSupport.poll(
          "Prometheus has every sample of both",
          WAIT,
          Duration.ofMillis(250),
          () ->
              prom.value("histogram_count(api_latency{job=\"native\"})") == SAMPLES
                  && prom.value("api_latency_count{job=\"classic\"}") == SAMPLES);

      double[] seconds = Arrays.stream(ms).map(v -> v / 1000).sorted().toArray();
      double base =
          Math.pow(2, Math.pow(2, -ObserverSpec.schemaFor(ObserverSpec.DEFAULT_BUCKET_FACTOR)));
      List<String> report = new ArrayList<>();
      for (double q : new double[] {0.5, 0.9, 0.99}) {
        double truth = seconds[(int) Math.ceil(q * SAMPLES) - 1];
        double lowRank = seconds[Math.max(0, (int) Math.floor(q * SAMPLES) - 2)];
        double highRank = seconds[Math.min(SAMPLES - 1, (int) Math.ceil(q * SAMPLES) + 1)];

        double nativeEstimate =
            prom.value("histogram_quantile(" + q + ", api_latency{job=\"native\"})");
        double lo = Math.pow(base, Math.floor(Math.log(lowRank) / Math.log(base) - 1e-9));
        double hi = Math.pow(base, Math.ceil(Math.log(highRank) / Math.log(base) + 1e-9));
        assertTrue(
            nativeEstimate >= lo && nativeEstimate <= hi,
            "native q"
                + q
                + " "
                + nativeEstimate
                + " not in the bucket ("
                + lo
                + ", "
                + hi
                + "] of "
                + truth);
        assertTrue(
            Math.abs(nativeEstimate - truth) / truth <= base - 1 + 1e-9,
            "native q" + q + ": " + nativeEstimate + " vs " + truth);

        double classicEstimate =
            prom.value("histogram_quantile(" + q + ", api_latency_bucket{job=\"classic\"})");
        double cl = bucketLower(lowRank);
        double ch = bucketUpper(highRank);
        assertTrue(
            classicEstimate >= cl && classicEstimate <= ch,
            "classic q"
                + q
                + " "
                + classicEstimate
                + " not in the bucket ("
                + cl
                + ", "
                + ch
                + "] of "
                + truth);
        report.add(
            "q"
                + q
                + " truth "
                + truth
                + " native "
                + nativeEstimate
                + " classic "
                + classicEstimate);
      }
      assertEquals(
          Arrays.stream(ms).sum() / 1000,
          prom.value("histogram_sum(api_latency{job=\"native\"})"),
          1e-6,
          report.toString());
      assertEquals(
          Arrays.stream(ms).sum() / 1000, prom.value("api_latency_sum{job=\"classic\"}"), 1e-6);
      assertTrue(
          Double.isNaN(prom.value("api_latency_bucket{job=\"native\",le=\"+Inf\"}")),
          "Prometheus took the native histogram, not the classic buckets alongside it");
    }
  }

  private static double bucketLower(double x) {
    double lower = 0;
    for (double b : ObserverSpec.DEFAULT_BUCKETS) {
      if (x <= b) {
        return lower;
      }
      lower = b;
    }
    return lower;
  }

  private static double bucketUpper(double x) {
    for (double b : ObserverSpec.DEFAULT_BUCKETS) {
      if (x <= b) {
        return b;
      }
    }
    return Double.POSITIVE_INFINITY;
  }
}
