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
}
