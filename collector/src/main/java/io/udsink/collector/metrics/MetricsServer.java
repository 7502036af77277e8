package io.udsink.collector.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.udsink.collector.util.Fatal;

/**
 * Serves {@code /metrics} in the Prometheus text format so that no client can hold it up for
 * another:
 *
 * <ul>
 *   <li>{@value #WORKERS} worker threads, so a client that sends its request slowly or never
 *       reads its response occupies one of them, not the endpoint;</li>
 *   <li>a request must arrive within {@value #REQUEST_TIMEOUT_S} s and a response be taken
 *       within {@value #RESPONSE_TIMEOUT_S} s, or the connection is closed;</li>
 *   <li>at most {@value #MAX_CONNECTIONS} connections are open at once; further ones are
 *       closed at once until one ends.</li>
 * </ul>
 *
 * The limits are the JDK server's own ({@code sun.net.httpserver.maxReqTime},
 * {@code sun.net.httpserver.maxRspTime}, {@code jdk.httpserver.maxConnections}); they apply to
 * the whole process and are set here unless already set on the command line.
 */
public final class MetricsServer implements AutoCloseable {
  /** Threads serving requests. */
  public static final int WORKERS = 4;
  /** Seconds a client has to send its whole request. */
  public static final int REQUEST_TIMEOUT_S = 10;
  /** Seconds a client has to take the whole response. */
  public static final int RESPONSE_TIMEOUT_S = 30;
  /** Connections open at once. */
  public static final int MAX_CONNECTIONS = 256;

  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  static {
    setDefault("sun.net.httpserver.maxReqTime", REQUEST_TIMEOUT_S);
    setDefault("sun.net.httpserver.maxRspTime", RESPONSE_TIMEOUT_S);
    setDefault("jdk.httpserver.maxConnections", MAX_CONNECTIONS);
  }

  private final HttpServer server;
  private final ThreadPoolExecutor executor;

  private MetricsServer(HttpServer server, ThreadPoolExecutor executor) {
    this.server = server;
    this.executor = executor;
  }

  private static void setDefault(String property, int value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, Integer.toString(value));
    }
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
    HttpServer server = HttpServer.create(address, 64);
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor executor = new ThreadPoolExecutor(WORKERS, WORKERS, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(MAX_CONNECTIONS), r -> {
          Thread t = new Thread(r, "udsink-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, (r, ex) -> LOG.warn("HTTP request refused: every worker is busy"));
    server.setExecutor(executor);
    server.createContext("/metrics", guarded(exchange -> {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, "text/plain", "GET /metrics\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (!"/metrics".equals(exchange.getRequestURI().getPath())) {
        reply(exchange, 404, "text/plain; charset=utf-8",
            "udsink: metrics at /metrics\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
      state.write(body);
      reply(exchange, 200, PrometheusTextFormatWriter.CONTENT_TYPE, body.toByteArray());
    }));
    server.createContext("/", guarded(exchange -> {
      int code = "/".equals(exchange.getRequestURI().getPath()) ? 200 : 404;
      reply(exchange, code, "text/plain; charset=utf-8",
          "udsink: metrics at /metrics\n".getBytes(StandardCharsets.UTF_8));
    }));
    server.start();
    return new MetricsServer(server, executor);
  }

  /** Closes every exchange; a failure answers 500, and an Error is fatal, never silent. */
  private static HttpHandler guarded(HttpHandler h) {
    return exchange -> {
      try (exchange) {
        h.handle(exchange);
      } catch (IOException e) {
        LOG.debug("HTTP exchange failed: {}", e.toString());
      } catch (RuntimeException e) {
        LOG.error("HTTP request failed", e);
        try {
          reply(exchange, 500, "text/plain", "internal error\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException ignored) {
          // the headers may be out already
        }
      } catch (Error e) {
        Fatal.report("the HTTP server", e);
      }
    };
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
