package io.udsink.collector.cli;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.UsageException;
import io.udsink.collector.export.remotewrite.RemoteWriteOutput;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.parse.TagStyles;
import io.udsink.collector.runtime.Intake;
import io.udsink.collector.sys.Fs;
import io.udsink.collector.util.ProcFile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code udsink serve} runs with, checked: {@link #of} is the one place a bad setting
 * is named (by its flag), before anything is opened or bound. {@link ServePipeline} builds from
 * it and checks nothing.
 *
 * @param jsonLines the JSON lines target, or null for none
 * @param http the {@code /metrics} address, or null for none
 * @param httpSpelled the address as the flag gave it, for messages
 * @param enableLifecycle answer {@code POST /-/reload}
 * @param flushInterval the aggregation interval
 * @param ttl how long a series stays without updates
 * @param maxSeries most series per interval and shown
 * @param duration stop after this long, or null
 * @param stopTimeout how long the stop waits for the outputs
 * @param mapper the mapping in force (loaded, checked)
 * @param remoteWrite the remote-write receivers and how to reach them
 * @param tagStyles the tag formats lines are read with
 * @param originDetection tag lines with their sender's container or systemd service
 * @param workers parse-and-aggregate threads
 */
record ServeConfig(
    JsonLines jsonLines,
    InetSocketAddress http,
    String httpSpelled,
    boolean enableLifecycle,
    Duration flushInterval,
    Duration ttl,
    int maxSeries,
    Duration duration,
    Duration stopTimeout,
    MapperRef mapper,
    RemoteWrite remoteWrite,
    TagStyles tagStyles,
    boolean originDetection,
    int workers) {

  /** The largest default bound of a remote-write queue. */
  static final long REMOTE_WRITE_QUEUE_BYTES = 1L << 30;

  /**
   * Where JSON lines go.
   *
   * @param file the file (or FIFO, or device) to append to; null for standard output
   * @param spelled as the flag gave it, for messages
   */
  record JsonLines(Path file, String spelled) {}

  /**
   * The remote-write receivers.
   *
   * @param urls one per receiver
   * @param labels labels every series gets unless it has one of that name
   * @param headers headers every request carries (authentication included)
   * @param timeout how long one request may take
   * @param natives for each receiver (as {@code urls}), send native histograms
   * @param stateDir the checked state directory, or null without receivers
   * @param queueBytes each receiver's queue bound
   */
  record RemoteWrite(
      List<URI> urls,
      Map<String, String> labels,
      Map<String, String> headers,
      Duration timeout,
      List<Boolean> natives,
      Path stateDir,
      long queueBytes) {
    /** A receiver's queue directory. */
    Path queueDir(URI url) {
      return stateDir.resolve("remote-write").resolve(RemoteWriteOutput.queueKey(url, headers));
    }
  }

  /**
   * Checks the command's options.
   *
   * @param c the options as parsed
   * @return the configuration
   * @throws UsageException naming the flag that is wrong
   * @throws UdsinkException when a file a flag names cannot be read
   */
  static ServeConfig of(ServeCommand c) {
    if (c.maxSeries < 1) {
      throw new UsageException("--max-series must be at least 1, was " + c.maxSeries);
    }
    int workers = c.workers == null ? Intake.defaultWorkers() : c.workers;
    if (workers < 1 || workers > Intake.MAX_WORKERS) {
      throw new UsageException(
          "--workers must be 1 to " + Intake.MAX_WORKERS + ", was " + c.workers);
    }
    InetSocketAddress http = "off".equals(c.http) ? null : parseHostPort(c.http);
    JsonLines json =
        "off".equals(c.out)
            ? null
            : new JsonLines("-".equals(c.out) ? null : Path.of(c.out), c.out);
    MapperRef mapper = mapper(c);
    List<URI> urls = new ArrayList<>();
    for (String u : c.remoteWrite) {
      try {
        urls.add(RemoteWriteOutput.parseUrl(u));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--remote-write " + u + ": " + e.getMessage());
      }
    }
    List<Boolean> natives = natives(c.remoteWriteNativeHistograms, urls);
    Map<String, String> headers = remoteWriteHeaders(c);
    Path stateDir = null;
    long queueBytes = 0;
    if (!urls.isEmpty()) {
      stateDir = stateDir(c.stateDir);
      queueBytes =
          c.remoteWriteQueueSize == null
              ? defaultQueueBytes(stateDir)
              : size("--remote-write-queue-size", c.remoteWriteQueueSize);
      if (queueBytes < (1 << 20)) {
        throw new UsageException(
            "--remote-write-queue-size " + c.remoteWriteQueueSize + ": at least 1MiB");
      }
    } else if (c.remoteWriteQueueSize != null) {
      size("--remote-write-queue-size", c.remoteWriteQueueSize);
    }
    RemoteWrite rw =
        new RemoteWrite(
            List.copyOf(urls),
            remoteWriteLabels(c),
            headers,
            c.remoteWriteTimeout,
            natives,
            stateDir,
            queueBytes);
    if (stateDir != null) {
      for (URI u : urls) {
        if (java.util.Collections.frequency(
                urls.stream().map(rw::queueDir).toList(), rw.queueDir(u))
            > 1) {
          throw new UsageException("--remote-write " + u + " is given twice");
        }
      }
    }
    return new ServeConfig(
        json,
        http,
        c.http,
        c.enableLifecycle,
        c.flushInterval,
        c.ttl,
        c.maxSeries,
        c.duration,
        c.stopTimeout,
        mapper,
        rw,
        new TagStyles(
            c.parseDogstatsdTags && !c.noParseDogstatsdTags,
            c.parseInfluxdbTags && !c.noParseInfluxdbTags,
            c.parseLibratoTags && !c.noParseLibratoTags,
            c.parseSignalfxTags && !c.noParseSignalfxTags),
        c.originDetection,
        workers);
  }

  /**
   * Which receivers get native histograms: {@code on}/{@code off} for all, {@code URL=on|off}
   * for one; the last word on a receiver wins.
   */
  static List<Boolean> natives(List<String> specs, List<URI> urls) {
    Boolean all = null;
    Map<URI, Boolean> one = new java.util.HashMap<>();
    for (String spec : specs) {
      int eq = spec.lastIndexOf('=');
      String value = eq < 0 ? spec : spec.substring(eq + 1);
      Boolean on =
          switch (value) {
            case "on", "true" -> Boolean.TRUE;
            case "off", "false" -> Boolean.FALSE;
            default -> null;
          };
      if (on == null) {
        throw new UsageException(
            "--remote-write-native-histograms " + spec + ": want on, off, URL=on or URL=off");
      }
      if (eq < 0) {
        all = on;
        one.clear();
        continue;
      }
      URI u;
      try {
        u = RemoteWriteOutput.parseUrl(spec.substring(0, eq));
      } catch (IllegalArgumentException e) {
        throw new UsageException(
            "--remote-write-native-histograms " + spec + ": " + e.getMessage());
      }
      if (!urls.contains(u)) {
        throw new UsageException(
            "--remote-write-native-histograms "
                + spec
                + ": no --remote-write "
                + RemoteWriteOutput.redacted(u));
      }
      one.put(u, on);
    }
    List<Boolean> out = new ArrayList<>();
    for (URI u : urls) {
      out.add(one.getOrDefault(u, all == null || all));
    }
    return List.copyOf(out);
  }

  /** The state directory: checked (ancestors too) and created 0700 when missing. */
  static Path stateDir(Path given) {
    Path dir = given;
    if (dir == null) {
      if (io.udsink.collector.transport.ProcessUser.uid() == 0) {
        dir = Path.of("/var/lib/udsink");
      } else {
        String xdg = System.getenv("XDG_STATE_HOME");
        dir =
            xdg != null && Path.of(xdg).isAbsolute()
                ? Path.of(xdg, "udsink")
                : Path.of(System.getProperty("user.home"), ".local", "state", "udsink");
      }
    }
    dir = dir.toAbsolutePath().normalize();
    String what = "--state-dir " + dir;
    io.udsink.collector.transport.SafeAncestors.check(what, dir, true, 0700);
    try {
      io.udsink.collector.sys.Fs.Stat st = io.udsink.collector.sys.Fs.stat(dir);
      if (io.udsink.collector.util.TrustedDirectory.othersMayWrite(
          st.mode(), st.gid(), io.udsink.collector.transport.ProcessUser.gid())) {
        throw new UdsinkException(
            what
                + ": other users may write to it (mode "
                + String.format("%04o", st.permissions())
                + "); udsink keeps its queues in a directory only it may change");
      }
    } catch (java.io.IOException e) {
      throw new UdsinkException(what + ": cannot inspect it: " + e.getMessage(), e);
    }
    return dir;
  }

  private static long defaultQueueBytes(Path stateDir) {
    try {
      long free = java.nio.file.Files.getFileStore(stateDir).getUsableSpace();
      return Math.max(1L << 20, Math.min(REMOTE_WRITE_QUEUE_BYTES, free / 10));
    } catch (java.io.IOException e) {
      return REMOTE_WRITE_QUEUE_BYTES;
    }
  }

  /**
   * A size: a whole number of bytes, with B, kB, MB, GB (powers of 1000) or KiB, MiB, GiB (of
   * 1024).
   */
  static long size(String flag, String text) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("([0-9]{1,15})\\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)?")
            .matcher(text.strip());
    if (!m.matches()) {
      throw new UsageException(
          flag + " " + text + ": want a size such as 512MiB or 1GB (B, kB, MB, GB, KiB, MiB, GiB)");
    }
    long n = Long.parseLong(m.group(1));
    long unit =
        switch (m.group(2) == null ? "B" : m.group(2)) {
          case "kB", "KB" -> 1000L;
          case "MB" -> 1000_000L;
          case "GB" -> 1000_000_000L;
          case "KiB" -> 1L << 10;
          case "MiB" -> 1L << 20;
          case "GiB" -> 1L << 30;
          default -> 1L;
        };
    if (n > Long.MAX_VALUE / unit) {
      throw new UsageException(flag + " " + text + ": too large");
    }
    return n * unit;
  }

  private static Map<String, String> remoteWriteLabels(ServeCommand c) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("job", "udsink");
    m.put("instance", hostName());
    for (String l : c.remoteWriteLabels) {
      int eq = l.indexOf('=');
      String k = eq < 0 ? l : l.substring(0, eq);
      if (eq < 0 || !k.matches("[a-zA-Z_][a-zA-Z0-9_]*") || k.startsWith("__")) {
        throw new UsageException(
            "--remote-write-label " + l + ": want NAME=VALUE, NAME a " + "Prometheus label name");
      }
      m.put(k, l.substring(eq + 1));
    }
    m.values().removeIf(String::isEmpty);
    return Map.copyOf(m);
  }

  private static Map<String, String> remoteWriteHeaders(ServeCommand c) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String h : c.remoteWriteHeaders) {
      int colon = h.indexOf(':');
      String k = colon < 0 ? "" : h.substring(0, colon).trim();
      if (k.isEmpty() || !k.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
        throw new UsageException("--remote-write-header " + h + ": want 'NAME: VALUE'");
      }
      String v = h.substring(colon + 1).trim();
      try {
        java.net.http.HttpRequest.newBuilder().header(k, v); // what the HTTP client refuses
      } catch (IllegalArgumentException e) {
        throw new UsageException("--remote-write-header " + h + ": " + e.getMessage());
      }
      m.put(k, v);
    }
    String token =
        secret(
            "--remote-write-bearer-token-file",
            c.remoteWriteBearerTokenFile,
            "UDSINK_REMOTE_WRITE_BEARER_TOKEN");
    String password =
        secret(
            "--remote-write-password-file",
            c.remoteWritePasswordFile,
            "UDSINK_REMOTE_WRITE_PASSWORD");
    if (token != null && (password != null || c.remoteWriteUsername != null)) {
      throw new UsageException(
          "--remote-write-bearer-token-file and basic authentication " + "exclude each other");
    }
    if (password != null && c.remoteWriteUsername == null) {
      throw new UsageException("a remote-write password needs --remote-write-username");
    }
    if (token != null) {
      m.put("Authorization", "Bearer " + token);
    } else if (c.remoteWriteUsername != null) {
      m.put(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(
                      (c.remoteWriteUsername + ":" + (password == null ? "" : password))
                          .getBytes(StandardCharsets.UTF_8)));
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /** A secret from a file (its first line) or else from the environment, or null. */
  private static String secret(String flag, Path file, String env) {
    if (file != null) {
      try {
        String text = Fs.readRegularFile(file, 64 << 10);
        String line = text.lines().findFirst().orElse("").strip();
        if (line.isEmpty()) {
          throw new UsageException(flag + " " + file + ": the file is empty");
        }
        return line;
      } catch (IOException e) {
        throw new UsageException(flag + " " + file + ": " + e.getMessage());
      }
    }
    String v = System.getenv(env);
    return v == null || v.isBlank() ? null : v.strip();
  }

  /** The kernel's host name, as node_exporter and the Datadog Agent name the host. */
  static String hostName() {
    try {
      String h = ProcFile.firstLine(Path.of("/proc/sys/kernel/hostname"));
      if (h != null && !h.isEmpty()) {
        return h;
      }
    } catch (IOException e) {
      // fall through
    }
    String env = System.getenv("HOSTNAME");
    return env == null || env.isEmpty() ? "localhost" : env;
  }

  private static MapperRef mapper(ServeCommand c) {
    ObserverSpec.Kind kind;
    try {
      kind = ObserverSpec.Kind.of(c.observerType == null ? "native" : c.observerType);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--observer-type " + c.observerType + ": " + e.getMessage());
    }
    if (c.observerType != null && c.mappingConfig != null) {
      throw new UsageException(
          "--observer-type and --mapping-config: the mapping file decides "
              + "(set defaults.observer_type in it)");
    }
    if (c.mappingCacheSize < 1) {
      throw new UsageException(
          "--mapping-cache-size must be at least 1, was " + c.mappingCacheSize);
    }
    if (c.mappingConfig == null) {
      return MapperRef.none(ObserverSpec.defaults(kind));
    }
    try {
      return MapperRef.load(c.mappingConfig, c.mappingCacheSize);
    } catch (IOException e) {
      throw new UdsinkException(
          "--mapping-config " + c.mappingConfig + ": cannot read: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--mapping-config " + c.mappingConfig + ": " + e.getMessage());
    }
  }

  /**
   * Parses {@code --http}: {@code HOST:PORT}, {@code :PORT} for every interface (as the Go
   * exporters do), {@code [IPv6]:PORT}.
   */
  static InetSocketAddress parseHostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 0 || colon == text.length() - 1) {
      throw new UsageException(
          "--http "
              + text
              + ": expected HOST:PORT, :PORT for every "
              + "interface, [IPv6]:PORT, or off (for example "
              + ServeCommand.HTTP_DEFAULT
              + ")");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new UsageException(
          "--http " + text + ": write an IPv6 address in brackets, " + "for example [::1]:9102");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new UsageException("--http " + text + ": port must be 0 to 65535");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  /** {@code host:port} for a URL: an IPv6 address in brackets. */
  static String hostPort(InetSocketAddress a) {
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    int pct = host.indexOf('%');
    if (pct >= 0) {
      host = host.substring(0, pct);
    }
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }
}
