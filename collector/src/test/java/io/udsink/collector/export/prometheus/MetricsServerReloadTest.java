package io.udsink.collector.export.prometheus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.cumulative.CumulativeState;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code POST /-/reload}: answers, and what a client posting in a loop can hold up. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsServerReloadTest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static HttpResponse<String> send(int port, String method, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldRunOneReloadAtATimeAndKeepServingScrapesMeanwhile() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    CumulativeState state = new CumulativeState(60_000, 100, new Telemetry());
    try (MetricsServer server =
        MetricsServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            state,
            () -> {
              if (calls.incrementAndGet() == 1) {
                entered.countDown();
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return null;
              }
              return "mapping 2 (a.b): invalid match";
            })) {
      int port = server.address().getPort();
      CompletableFuture<HttpResponse<String>> slow =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return send(port, "POST", "/-/reload");
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      assertTrue(entered.await(20, TimeUnit.SECONDS));
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> busy = send(port, "POST", "/-/reload");
        assertEquals(503, busy.statusCode(), "not queued behind the running reload");
      }
      assertEquals(200, send(port, "GET", "/metrics").statusCode(), "scrapes go on");
      release.countDown();
      assertEquals(200, slow.get(20, TimeUnit.SECONDS).statusCode());
      assertEquals(1, calls.get(), "refused requests did not reload");
      HttpResponse<String> bad = send(port, "POST", "/-/reload");
      assertEquals(500, bad.statusCode());
      assertTrue(
          bad.body().contains("invalid match") && bad.body().contains("rules in force"),
          bad.body());
    }
  }
}
