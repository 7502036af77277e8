package io.udsink.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Configures a {@link UdsinkClient}. Every setting is validated in {@link #build()}, which names
 * the bad setting. Each is resolved as the Datadog clients resolve theirs: an explicit setting,
 * then the environment, then the default. The socket is, in order: {@link #socket(String)}, the
 * environment variable {@code UDSINK_SOCKET}, then {@code DD_DOGSTATSD_URL}
 * ({@code unix:///path} or {@code unixgram:///path}), then the default collector's socket
 * ({@link DefaultSocket#forClient()}). {@code DD_ENTITY_ID}, {@code DD_ENV},
 * {@code DD_SERVICE} and {@code DD_VERSION} become constant tags unless one of that name is set;
 * {@code DD_EXTERNAL_ENV} and {@code DD_CARDINALITY} become origin fields.
 */
public final class UdsinkClientBuilder {
  /** The environment variable naming the socket. */
  public static final String SOCKET_ENV = DefaultSocket.ENV;

  /** Default maximum datagram size. */
  public static final int MAX_DATAGRAM_DEFAULT = 8192;

  /** Default flush interval. */
  public static final Duration FLUSH_INTERVAL_DEFAULT = Duration.ofMillis(100);

  /** Default queue capacity, in datagrams. */
  public static final int QUEUE_CAPACITY_DEFAULT = 256;

  /** Default wait for room in blocking and reliable modes. */
  public static final Duration BLOCKING_TIMEOUT_DEFAULT = Duration.ofSeconds(1);

  /** Default bound on close. */
  public static final Duration CLOSE_TIMEOUT_DEFAULT = Duration.ofSeconds(2);

  String socket;
  String prefix = "";
  List<String> constantTags = new ArrayList<>();
  Mode mode = Mode.NON_BLOCKING;
  int maxDatagramSize = MAX_DATAGRAM_DEFAULT;
  int sendBufferSize;
  Duration flushInterval = FLUSH_INTERVAL_DEFAULT;
  int queueCapacity = QUEUE_CAPACITY_DEFAULT;
  Duration blockingTimeout = BLOCKING_TIMEOUT_DEFAULT;
  Duration closeTimeout = CLOSE_TIMEOUT_DEFAULT;
  Duration initialBackoff = Duration.ofMillis(50);
  Duration maxBackoff = Duration.ofSeconds(5);
  ClientErrorHandler errorHandler = ClientErrorHandler.STDERR;
  boolean aggregation = true;
  Duration aggregationInterval = AGGREGATION_INTERVAL_DEFAULT;
  int maxContexts = MAX_CONTEXTS_DEFAULT;
  boolean originDetection = true;
  Duration telemetryInterval;
  String containerId;
  String cardinality;
  java.util.Map<String, String> environment = System.getenv();

  /** Default interval of the client-side aggregation. */
  public static final Duration AGGREGATION_INTERVAL_DEFAULT = Duration.ofSeconds(2);

  /** Default bound on the series the client-side aggregation holds. */
  public static final int MAX_CONTEXTS_DEFAULT = 20_000;

  UdsinkClientBuilder() {}

  /**
   * Aggregates counters (added), gauges (the last value) and sets (united) per aggregation
   * interval before sending, and packs the samples of timers, histograms and distributions into
   * multi-value lines (default: on).
   */
  public UdsinkClientBuilder aggregation(boolean on) {
    this.aggregation = on;
    return this;
  }

  /** How long the aggregation gathers before it sends (default 2 s). */
  public UdsinkClientBuilder aggregationInterval(Duration interval) {
    this.aggregationInterval = interval;
    return this;
  }

  /** Most series the aggregation holds; beyond it emits are sent as they come (default 20000). */
  public UdsinkClientBuilder maxContexts(int contexts) {
    this.maxContexts = contexts;
    return this;
  }

  /**
   * Sends this process's container (DogStatsD's {@code |c:} field) when it runs in one (default:
   * on); {@link #containerId(String)} names it instead.
   */
  public UdsinkClientBuilder originDetection(boolean on) {
    this.originDetection = on;
    return this;
  }

  /** The container to name in {@code |c:}, instead of reading {@code /proc/self/cgroup}. */
  public UdsinkClientBuilder containerId(String id) {
    this.containerId = id;
    return this;
  }

  /** The tag cardinality to ask for ({@code |card:}: low, orchestrator, high or none). */
  public UdsinkClientBuilder cardinality(String cardinality) {
    this.cardinality = cardinality;
    return this;
  }

  /**
   * Also sends the client's own counts as metrics, every 10 s: {@code udsink.client.lines_sent},
   * {@code udsink.client.datagrams_sent}, {@code udsink.client.bytes_sent},
   * {@code udsink.client.lines_dropped} by {@code reason}, and the gauge
   * {@code udsink.client.aggregated_contexts} (default: off; {@link UdsinkClient#stats()} has them
   * either way).
   */
  public UdsinkClientBuilder telemetry(boolean on) {
    this.telemetryInterval = on ? Duration.ofSeconds(10) : null;
    return this;
  }

  /** As {@link #telemetry(boolean)}, at another interval (tests). */
  UdsinkClientBuilder telemetry(Duration interval) {
    this.telemetryInterval = interval;
    return this;
  }

  /** The environment read at {@link #build()} (the process's; tests give their own). */
  UdsinkClientBuilder environment(java.util.Map<String, String> env) {
    this.environment = env;
    return this;
  }

  /** The collector's socket path, or {@code @name} in the abstract namespace. */
  public UdsinkClientBuilder socket(String socket) {
    this.socket = socket;
    return this;
  }

  /** Put before every metric name (for example {@code "myapp."}). */
  public UdsinkClientBuilder prefix(String prefix) {
    this.prefix = prefix;
    return this;
  }

  /** Tags added to every metric, event and service check. */
  public UdsinkClientBuilder constantTags(String... tags) {
    this.constantTags = new ArrayList<>(List.of(tags));
    return this;
  }

  /** Non-blocking (default), blocking or reliable. */
  public UdsinkClientBuilder mode(Mode mode) {
    this.mode = mode;
    return this;
  }

  /** Largest datagram sent, in bytes (default 8192); lines are packed up to it. */
  public UdsinkClientBuilder maxDatagramSize(int bytes) {
    this.maxDatagramSize = bytes;
    return this;
  }

  /** How long a line may wait in a partly filled datagram (default 100 ms). */
  public UdsinkClientBuilder flushInterval(Duration interval) {
    this.flushInterval = interval;
    return this;
  }

  /** Datagrams queued between the emitting threads and the sender thread (default 256). */
  public UdsinkClientBuilder queueCapacity(int datagrams) {
    this.queueCapacity = datagrams;
    return this;
  }

  /** How long blocking and reliable modes wait for room (default 1 s). */
  public UdsinkClientBuilder blockingTimeout(Duration timeout) {
    this.blockingTimeout = timeout;
    return this;
  }

  /** How long {@code close()} may take to send what is buffered (default 2 s). */
  public UdsinkClientBuilder closeTimeout(Duration timeout) {
    this.closeTimeout = timeout;
    return this;
  }

  /**
   * The socket's send buffer ({@code SO_SNDBUF}, which the kernel doubles), in bytes; 0 keeps
   * the system default. Datagrams waiting in the collector's queue are charged to the sender's
   * send buffer, so a larger one lets more wait while the collector restarts.
   */
  public UdsinkClientBuilder sendBufferSize(int bytes) {
    this.sendBufferSize = bytes;
    return this;
  }

  /** First and largest wait between attempts to reach a collector that is gone. */
  public UdsinkClientBuilder backoff(Duration initial, Duration max) {
    this.initialBackoff = initial;
    this.maxBackoff = max;
    return this;
  }

  /** Told about outages (once each), recoveries and send errors; default: standard error. */
  public UdsinkClientBuilder errorHandler(ClientErrorHandler handler) {
    this.errorHandler = handler;
    return this;
  }

  /**
   * Validates the settings and starts the client. A collector that is not there yet is not an
   * error: the client reports the outage and delivers once the collector appears.
   *
   * @return the client
   * @throws IllegalArgumentException naming the first bad setting
   */
  public UdsinkClient build() {
    String resolved = socket;
    if (resolved == null || resolved.isEmpty()) {
      resolved = defaultSocket(environment);
    }
    if ("@".equals(resolved) || resolved.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("socket: '" + resolved + "' is not a socket path");
    }
    int pathBytes = resolved.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (pathBytes > 107) {
      throw new IllegalArgumentException(
          "socket: "
              + resolved
              + " is "
              + pathBytes
              + " bytes; a Unix socket path holds at most 107");
    }
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(errorHandler, "errorHandler");
    for (String t : constantTags) {
      if (t == null || t.isEmpty()) {
        throw new IllegalArgumentException("constantTags: empty tag");
      }
    }
    if (maxDatagramSize < 1 || maxDatagramSize > 65536) {
      throw new IllegalArgumentException(
          "maxDatagramSize must be between 1 and 65536, was " + maxDatagramSize);
    }
    if (sendBufferSize < 0 || sendBufferSize > 256 << 20) {
      throw new IllegalArgumentException(
          "sendBufferSize must be between 0 (the system default) "
              + "and 268435456, was "
              + sendBufferSize);
    }
    if (queueCapacity < 1 || queueCapacity > 1_000_000) {
      throw new IllegalArgumentException(
          "queueCapacity must be between 1 and 1000000, was " + queueCapacity);
    }
    positive("flushInterval", flushInterval);
    positive("aggregationInterval", aggregationInterval);
    if (maxContexts < 0 || maxContexts > 10_000_000) {
      throw new IllegalArgumentException(
          "maxContexts must be between 0 and 10000000, was " + maxContexts);
    }
    positive("blockingTimeout", blockingTimeout);
    positive("closeTimeout", closeTimeout);
    positive("backoff initial", initialBackoff);
    positive("backoff max", maxBackoff);
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "backoff: max " + maxBackoff + " is below initial " + initialBackoff);
    }
    return new DefaultUdsinkClient(resolved, this);
  }

  /**
   * The socket a client sends to when no socket is set: {@code $UDSINK_SOCKET}, then
   * {@code $DD_DOGSTATSD_URL}, then {@link DefaultSocket#forClient()}.
   *
   * @param env the environment
   * @return the socket path or {@code @name}
   * @throws IllegalArgumentException when {@code DD_DOGSTATSD_URL} is not a Unix socket URL
   */
  public static String defaultSocket(java.util.Map<String, String> env) {
    String s = env.get(SOCKET_ENV);
    if (s == null || s.isEmpty()) {
      s = Origin.socketFromUrl(env.get(Origin.URL_ENV));
    }
    return s == null || s.isEmpty() ? DefaultSocket.forClient() : s;
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
    }
  }
}
