package io.udsink.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Configures a {@link UdsinkClient}. Every setting is validated in {@link #build()}, which names
 * the bad setting. The socket is, in order: {@link #socket(String)}, the environment variable
 * {@code UDSINK_SOCKET}, then the default collector's socket ({@link DefaultSocket#forClient()}).
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

  UdsinkClientBuilder() {}

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
      resolved = DefaultSocket.forClient();
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

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
    }
  }
}
