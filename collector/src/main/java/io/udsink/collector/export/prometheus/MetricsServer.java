package io.udsink.collector.export.prometheus;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.HealthyHandler;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.util.Fatal;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint: {@code /metrics} served by the Prometheus Java library's exporter handler
 * (content negotiation between the text format 0.0.4, OpenMetrics and protobuf; gzip; the
 * {@code name[]} filter), with udsink's series, its own metrics and the JVM and process metrics;
 * {@code /-/healthy}; {@code /-/ready} (503 until the instance serves its sockets);
 * {@code POST /-/reload} (reads the mapping file again; 500 with the reason when it does not
 * check; 503 while another reload runs); 404 for any other path. No client can hold it up for another:
 *
 * <ul>
 *   <li>every exchange runs on a virtual thread of its own, so a client that sends its request
 *       slowly or never reads its response costs a few kilobytes, not a worker: scrapes go on
 *       beside any number of them up to the connection cap;</li>
 *   <li>at most {@value #RENDERS} renders of {@code /metrics} run at once (each holds a copy of
 *       the state while it is written); a further scrape waits up to {@value #RENDER_WAIT_S} s
 *       for its turn, then gets 503, so concurrent scrapes cannot exhaust the heap;</li>
 *   <li>{@code /-/reload} runs on a thread of its own, one at a time, and answers within
 *       {@value #RELOAD_WAIT_S} s (503 when it is still running);</li>
 *   <li>a request must arrive within {@value #REQUEST_TIMEOUT_S} s and a response be taken
 *       within {@value #RESPONSE_TIMEOUT_S} s, or the connection is closed;</li>
 *   <li>at most a quarter of the process' file-descriptor limit ({@code RLIMIT_NOFILE}), and
 *       never more than {@value #MAX_CONNECTIONS}, connections are open at once, so that
 *       clients can never take the descriptors the sockets and outputs need; further ones are
 *       closed at once until one ends.</li>
 * </ul>
 *
 * The limits are the JDK server's own ({@code sun.net.httpserver.maxReqTime},
 * {@code sun.net.httpserver.maxRspTime}, {@code jdk.httpserver.maxConnections}); they apply to
 * the whole process and are set here unless already set on the command line.
 */
public final class MetricsServer implements AutoCloseable {
  /** Renders of {@code /metrics} at once. */
  public static final int RENDERS = 2;

  /** Seconds a scrape waits for a render to finish before it gets 503. */
  public static final int RENDER_WAIT_S = 10;

  /** Seconds a reload request waits for the reload. */
  public static final int RELOAD_WAIT_S = 10;

  /** Seconds a client has to send its whole request. */
  public static final int REQUEST_TIMEOUT_S = 10;

  /** Seconds a client has to take the whole response. */
  public static final int RESPONSE_TIMEOUT_S = 30;

  /** Connections open at once. */
  public static final int MAX_CONNECTIONS = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
  private static final byte[] LANDING =
      ("udsink: metrics at /metrics, health at /-/healthy, " + "readiness at /-/ready\n")
          .getBytes(StandardCharsets.UTF_8);

  static {
    setDefault("sun.net.httpserver.maxReqTime", REQUEST_TIMEOUT_S);
    setDefault("sun.net.httpserver.maxRspTime", RESPONSE_TIMEOUT_S);
    setDefault("jdk.httpserver.maxConnections", connectionCap());
  }

  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor;
  private final java.util.concurrent.ExecutorService reloader;
  private volatile boolean ready;

  private MetricsServer(
      HttpServer server,
      java.util.concurrent.ExecutorService executor,
      java.util.concurrent.ExecutorService reloader) {
    this.server = server;
    this.executor = executor;
    this.reloader = reloader;
  }

  /** A quarter of the soft limit on open files, at least 16 and at most the maximum. */
  public static int connectionCap() {
    try (java.io.BufferedReader r =
        java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("/proc/self/limits"))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
          if (soft.equals("unlimited")) {
            return MAX_CONNECTIONS;
          }
          return (int) Math.max(16, Math.min(MAX_CONNECTIONS, Long.parseLong(soft) / 4));
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // fall through
    }
    return 256;
  }

  private static void setDefault(String property, int value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, Integer.toString(value));
    }
  }

  /** A registry for the exporter: the state's series and udsink's own, and the JVM's. */
  private static io.prometheus.metrics.model.registry.PrometheusRegistry registry(
      CumulativeState state) {
    var r = new io.prometheus.metrics.model.registry.PrometheusRegistry();
    r.register((io.prometheus.metrics.model.registry.MultiCollector) state::snapshot);
    r.register((io.prometheus.metrics.model.registry.MultiCollector) () -> Jvm.REGISTRY.scrape());
    return r;
  }

  /**
   * The JVM's and the process' metrics, registered at the first scrape: registering them loads
   * the management beans and listens to every garbage collection, which an idle udsink nobody
   * scrapes does not need. Without exemplars, which would start a thread of their own.
   */
  private static final class Jvm {
    static final io.prometheus.metrics.model.registry.PrometheusRegistry REGISTRY = create();

    private static io.prometheus.metrics.model.registry.PrometheusRegistry create() {
      var defaults = io.prometheus.metrics.config.PrometheusProperties.get();
      var config =
          new io.prometheus.metrics.config.PrometheusProperties(
              io.prometheus.metrics.config.MetricsProperties.builder()
                  .exemplarsEnabled(false)
                  .build(),
              java.util.Map.of(),
              defaults.getExemplarProperties(),
              defaults.getExporterProperties(),
              defaults.getExporterFilterProperties(),
              defaults.getExporterHttpServerProperties(),
              defaults.getExporterPushgatewayProperties(),
              defaults.getExporterOpenTelemetryProperties());
      var r = new io.prometheus.metrics.model.registry.PrometheusRegistry();
      io.prometheus.metrics.instrumentation.jvm.JvmMetrics.builder(config).register(r);
      return r;
    }
  }

  /**
   * Binds and starts the server; {@code /-/ready} answers 503 until {@link #ready()}.
   *
   * @param address host and port (port 0 picks a free one)
   * @param state what to serve
   * @return the running server
   * @throws IOException when the address cannot be bound
   */
  public static MetricsServer start(InetSocketAddress address, CumulativeState state)
      throws IOException {
    return start(address, state, () -> null);
  }

  /**
   * Binds and starts the server, with {@code POST /-/reload}.
   *
   * @param address host and port (port 0 picks a free one)
   * @param state what to serve
   * @param reload reloads what is reloadable (answers null when that worked, else why not); null
   *     to answer {@code /-/reload} with 403, as Prometheus does without
   *     {@code --web.enable-lifecycle}
   * @return the running server
   * @throws IOException when the address cannot be bound
   */
  public static MetricsServer start(
      InetSocketAddress address, CumulativeState state, java.util.function.Supplier<String> reload)
      throws IOException {
    HttpServer server = HttpServer.create(address, 64);
    java.util.concurrent.atomic.AtomicBoolean reloading =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.ExecutorService executor =
        java.util.concurrent.Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("udsink-http-", 1).factory());
    java.util.concurrent.ExecutorService reloader =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "udsink-reload");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    MetricsServer s = new MetricsServer(server, executor, reloader);
    java.util.concurrent.Semaphore renders = new java.util.concurrent.Semaphore(RENDERS, true);
    HttpHandler exporter = new MetricsHandler(PrometheusProperties.get(), registry(state));
    HttpHandler metrics =
        exchange -> {
          boolean got;
          try {
            got = renders.tryAcquire(RENDER_WAIT_S, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            got = false;
          }
          if (!got) {
            reply(
                exchange,
                503,
                "busy: other scrapes are being written\n".getBytes(StandardCharsets.UTF_8));
            return;
          }
          try {
            exporter.handle(exchange);
          } finally {
            renders.release();
          }
        };
    HttpHandler healthy = new HealthyHandler();
    server.createContext(
        "/metrics",
        exact(
            "/metrics",
            exchange -> {
              if (!"GET".equals(exchange.getRequestMethod())
                  && !"HEAD".equals(exchange.getRequestMethod())) {
                reply(exchange, 405, "GET /metrics\n".getBytes(StandardCharsets.UTF_8));
                return;
              }
              metrics.handle(exchange);
            }));
    server.createContext("/-/healthy", exact("/-/healthy", healthy));
    server.createContext(
        "/-/ready",
        exact(
            "/-/ready",
            exchange ->
                reply(
                    exchange,
                    s.ready ? 200 : 503,
                    (s.ready ? "ready\n" : "not ready\n").getBytes(StandardCharsets.UTF_8))));
    server.createContext(
        "/-/reload",
        exact(
            "/-/reload",
            exchange -> {
              if (reload == null) {
                reply(
                    exchange,
                    403,
                    "the lifecycle API is off: start udsink serve with "
                        .concat("--web.enable-lifecycle\n")
                        .getBytes(StandardCharsets.UTF_8));
                return;
              }
              if (!"POST".equals(exchange.getRequestMethod())
                  && !"PUT".equals(exchange.getRequestMethod())) {
                reply(exchange, 405, "POST /-/reload\n".getBytes(StandardCharsets.UTF_8));
                return;
              }
              // one reload at a time: requests that find one running are not queued behind it, so
              // a client posting in a loop holds at most one worker, never the scrapes
              if (!reloading.compareAndSet(false, true)) {
                reply(exchange, 503, "a reload is running\n".getBytes(StandardCharsets.UTF_8));
                return;
              }
              java.util.concurrent.Future<String> result;
              try {
                result =
                    reloader.submit(
                        () -> {
                          try {
                            return reload.get();
                          } finally {
                            reloading.set(false);
                          }
                        });
              } catch (java.util.concurrent.RejectedExecutionException e) {
                reloading.set(false);
                reply(exchange, 503, "stopping\n".getBytes(StandardCharsets.UTF_8));
                return;
              }
              String error;
              try {
                error = result.get(RELOAD_WAIT_S, TimeUnit.SECONDS);
              } catch (java.util.concurrent.TimeoutException e) {
                reply(
                    exchange,
                    503,
                    "the reload is still running\n".getBytes(StandardCharsets.UTF_8));
                return;
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reply(exchange, 503, "interrupted\n".getBytes(StandardCharsets.UTF_8));
                return;
              } catch (java.util.concurrent.ExecutionException e) {
                error = String.valueOf(e.getCause());
              }
              reply(
                  exchange,
                  error == null ? 200 : 500,
                  (error == null
                          ? "reloaded\n"
                          : "not reloaded, the rules in force stay: " + error + "\n")
                      .getBytes(StandardCharsets.UTF_8));
            }));
    server.createContext("/", exact("/", exchange -> reply(exchange, 200, LANDING)));
    server.start();
    return s;
  }

  /** From now on {@code /-/ready} answers 200. */
  public void ready() {
    ready = true;
  }

  /**
   * Serves only the exact path (a context also matches longer paths); closes every exchange;
   * a failure answers 500, and an Error is fatal, never silent.
   */
  private static HttpHandler exact(String path, HttpHandler h) {
    return exchange -> {
      try (exchange) {
        if (!path.equals(exchange.getRequestURI().getPath())) {
          reply(
              exchange,
              404,
              ("not found; " + new String(LANDING, StandardCharsets.UTF_8))
                  .getBytes(StandardCharsets.UTF_8));
          return;
        }
        h.handle(exchange);
      } catch (IOException e) {
        LOG.debug("HTTP exchange failed: {}", e.toString());
      } catch (RuntimeException e) {
        LOG.error("HTTP request failed", e);
        try {
          reply(exchange, 500, "internal error\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException ignored) {
          // the headers may be out already
        }
      } catch (Error e) {
        Fatal.report("the HTTP server", e);
      }
    };
  }

  private static void reply(HttpExchange exchange, int code, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
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
    reloader.shutdownNow();
  }
}
