package io.udsink.collector.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process for tests of other packages. */
public final class MainRunner {
  private MainRunner() {}

  /** What a run printed and returned. */
  public static final class Run {
    /** The exit status. */
    public final int code;

    /** Standard output. */
    public final String out;

    /** Standard error. */
    public final String err;

    Run(int code, String out, String err) {
      this.code = code;
      this.out = out;
      this.err = err;
    }
  }

  /**
   * Runs {@code udsink} with these arguments.
   *
   * @param args the arguments
   * @return its exit status and output
   */
  public static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Main.execute(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Runs {@code serve} in the background for {@code duration}, JSON lines to {@code out}, and
   * returns once its socket exists.
   *
   * @param sock the socket
   * @param out the JSON lines file
   * @param duration how long it serves ({@code --duration})
   * @param more further options
   * @return its run, done when it stops
   */
  public static java.util.concurrent.CompletableFuture<Run> serve(
      java.nio.file.Path sock, java.nio.file.Path out, String duration, String... more) {
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "serve",
                "--socket",
                sock.toString(),
                "--out",
                out.toString(),
                "--flush-interval",
                "1h",
                "--duration",
                duration));
    args.addAll(java.util.List.of(more));
    var serve =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> run(args.toArray(String[]::new)));
    io.udsink.collector.TestSupport.await(
        "the socket",
        java.time.Duration.ofSeconds(20),
        () ->
            serve.isDone()
                || java.nio.file.Files.exists(sock, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    return serve;
  }
}
