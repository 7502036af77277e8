package io.udsink.collector;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@code udsink} command in a JVM of its own, for tests where the process boundary matters. */
public final class UdsinkProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The process. */
  public final Process process;

  private final Path stdout;
  private final Path stderr;

  private UdsinkProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts {@code java <jvmArgs> -cp <test class path> Main <args>}.
   *
   * @param dir where its output files go
   * @param jvmArgs JVM options, for example {@code -Xmx256m}
   * @param args udsink's arguments
   * @return the running process
   */
  public static UdsinkProcess start(Path dir, List<String> jvmArgs, String... args)
      throws IOException {
    return start(dir, jvmArgs, java.util.Map.of(), args);
  }

  /**
   * As {@link #start(Path, List, String...)}, with more environment variables.
   *
   * @param dir where its output files go
   * @param jvmArgs JVM options
   * @param env added to the environment
   * @param args udsink's arguments
   * @return the running process
   */
  public static UdsinkProcess start(
      Path dir, List<String> jvmArgs, java.util.Map<String, String> env, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.addAll(launcherOptions(args));
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.udsink.collector.cli.Main");
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "stdout", ".txt");
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    return new UdsinkProcess(p, out, err);
  }

  /**
   * The JVM options the launchers give udsink for these arguments ({@code scripts/jvm-options}:
   * the collector, a heap sized from {@code --max-series}), so that a test's process runs as a
   * user's does; a test's own options come after them and win.
   *
   * @param args udsink's arguments
   * @return the options
   */
  public static List<String> launcherOptions(String... args) throws IOException {
    Path script = Path.of(System.getProperty("user.dir")).resolveSibling("scripts/jvm-options");
    List<String> cmd = new ArrayList<>(List.of("sh", script.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("UDSINK_JAVA_OPTS");
    Process p = pb.start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(script + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return List.of(out.trim().split("\\s+"));
  }

  /** The java command line that runs udsink with the test class path (for other launchers). */
  public static List<String> javaCommand(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.udsink.collector.cli.Main");
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Waits for the process to end by itself; its exit status. */
  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("udsink did not end within " + timeout + ": " + stderr());
    }
    return process.exitValue();
  }

  /** The {@code rx=} count {@code udsink count} printed. */
  public long rx() {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("rx=(\\d+)").matcher(stdout());
    if (!m.find()) {
      throw new AssertionError("no rx= line: " + stdout() + stderr());
    }
    return Long.parseLong(m.group(1));
  }

  /** A free loopback port (closed again; a tiny race with other processes is accepted). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Waits until a socket file exists or the process ended. */
  public void awaitSocket(Path socket) {
    TestSupport.await(
        "the socket " + socket,
        Duration.ofSeconds(30),
        () -> Files.exists(socket, LinkOption.NOFOLLOW_LINKS) || !process.isAlive());
    if (!process.isAlive()) {
      throw new AssertionError("udsink exited " + process.exitValue() + ": " + stderr());
    }
  }

  /** GET a path on the loopback port; the body, or null when the request failed. */
  public static String get(int port, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }

  /** SIGTERM, then the exit status (fails after the timeout). */
  public int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("udsink did not stop within " + timeout + ": " + stderr());
    }
    return process.exitValue();
  }

  /** What it printed on standard error so far. */
  public String stderr() {
    try {
      return Files.readString(stderr, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** What it printed on standard output so far. */
  public String stdout() {
    try {
      return Files.readString(stdout, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
