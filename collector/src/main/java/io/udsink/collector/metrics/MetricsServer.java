package io.udsink.collector.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

/** Serves {@code /metrics} in the Prometheus text format, on one daemon thread. */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds and starts the server.
   *
   * @param address host and port (port 0 picks a free one)
   * @param state what to serve
   * @return the running server
   * @throws IOException when the address cannot be bound
   */
  public static MetricsServer start(InetSocketAddress address, PrometheusState state)
      throws IOException {
    HttpServer server = HttpServer.create(address, 16);
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "udsink-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> {
      try (exchange) {
        if (!"GET".equals(exchange.getRequestMethod())
            && !"HEAD".equals(exchange.getRequestMethod())) {
          reply(exchange, 405, "text/plain", "GET /metrics\n".getBytes(StandardCharsets.UTF_8));
          return;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
        state.write(body);
        reply(exchange, 200, PrometheusTextFormatWriter.CONTENT_TYPE, body.toByteArray());
      }
    });
    server.createContext("/", exchange -> {
      try (exchange) {
        int code = "/".equals(exchange.getRequestURI().getPath()) ? 200 : 404;
        reply(exchange, code, "text/plain; charset=utf-8",
            "udsink: metrics at /metrics\n".getBytes(StandardCharsets.UTF_8));
      }
    });
    server.start();
    return new MetricsServer(server, executor);
  }

  private static void reply(HttpExchange exchange, int code, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(code, head ? -1 : body.length);
    if (!head) {
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    }
  }

  /** The bound address (with the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
