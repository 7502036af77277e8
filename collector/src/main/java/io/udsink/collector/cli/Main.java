package io.udsink.collector.cli;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.UsageException;
import io.udsink.collector.sys.Native;
import io.udsink.collector.sys.NativeUnavailableException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The {@code udsink} command line: parses, dispatches, maps errors to exit codes. */
public final class Main {
  /** The version of udsink. */
  public static final String VERSION = "0.1.0";

  /** Exit status for a failure reported as a clear message. */
  public static final int EXIT_FAILURE = 1;

  /** Exit status for a bad flag or argument. */
  public static final int EXIT_USAGE = 2;

  private static final String[] DESCRIPTION = {
    "Unix-domain datagram collector for StatsD and DogStatsD emitters."
  };

  private String logLevel;
  private Logging.Format logFormat;

  private Main() {}

  /** The options every command takes, before or after its name. */
  private void addGlobal(Args a, boolean withDefaults) {
    String env = System.getenv("UDSINK_LOG_LEVEL");
    a.value(
        "--log-level",
        "LEVEL",
        withDefaults ? (env == null || env.isEmpty() ? "info" : env) : null,
        "error, warn, info, debug or trace (default: $UDSINK_LOG_LEVEL, else info).",
        v -> logLevel = v);
    a.value(
        "--log-format",
        "FORMAT",
        withDefaults ? "text" : null,
        "text (ISO-8601 time, level, thread, logger, message; under systemd the "
            + "journal's priority prefix instead of a time) or json (one object per line) "
            + "(default: text).",
        v -> logFormat = Logging.Format.parse(v));
  }

  /** A command: its options, bound to its fields, and what it does with them. */
  private record Command(Args args, Callable<Integer> run) {}

  private static Command command(String name, PrintStream out, PrintStream err) {
    switch (name) {
      case "serve" -> {
        ServeCommand c = new ServeCommand(out);
        return new Command(c.args(), c);
      }
      case "count" -> {
        CountCommand c = new CountCommand(out);
        return new Command(c.args(), c);
      }
      case "send" -> {
        SendCommand c = new SendCommand(out, err);
        return new Command(c.args(), c);
      }
      default -> {
        return null;
      }
    }
  }

  private static final List<String> COMMANDS = List.of("serve", "count", "send");

  private Args topLevel() {
    Args top = new Args("udsink", DESCRIPTION);
    addGlobal(top, true);
    return top;
  }

  private static void topUsage(Args top, PrintStream to, PrintStream out, PrintStream err) {
    List<Args> commands = new ArrayList<>();
    for (String n : COMMANDS) {
      commands.add(command(n, out, err).args());
    }
    commands.add(new Args("help", "Show the help of udsink or of a command: udsink help serve"));
    top.usage(to, "udsink [--log-level LEVEL] [--log-format FORMAT] COMMAND [OPTIONS]", commands);
  }

  private static int badArgument(PrintStream err, String command, String message) {
    err.println("udsink: " + message);
    err.println(
        "Try 'udsink " + (command == null ? "" : command + " ") + "--help' for more information.");
    return EXIT_USAGE;
  }

  /**
   * Runs {@code udsink} with the given arguments and returns the exit status instead of exiting.
   *
   * @param out standard output
   * @param err standard error
   * @param args the arguments
   * @return 0 on success, 1 on a reported failure, 2 on a usage error
   */
  public static int execute(PrintStream out, PrintStream err, String... args) {
    Main main = new Main();
    Args top = main.topLevel();
    Args.Parsed parsed;
    try {
      parsed = top.parse(args, 0, true);
    } catch (Args.BadArgument e) {
      return badArgument(err, null, e.getMessage());
    }
    if (parsed.version()) {
      out.println("udsink " + VERSION);
      return 0;
    }
    if (parsed.help()) {
      topUsage(top, out, out, err);
      return 0;
    }
    if (parsed.rest().isEmpty()) {
      topUsage(top, err, out, err);
      return EXIT_USAGE;
    }
    String name = parsed.rest().get(0);
    String[] rest = parsed.rest().toArray(String[]::new);
    if (name.equals("help")) {
      if (rest.length == 1) {
        topUsage(top, out, out, err);
        return 0;
      }
      Command c = rest.length == 2 ? command(rest[1], out, err) : null;
      if (c == null) {
        return badArgument(
            err,
            null,
            "help: no command "
                + String.join(" ", List.of(rest).subList(1, rest.length))
                + " (serve, count or send)");
      }
      c.args().usage(out, "udsink " + rest[1] + " [OPTIONS]", List.of());
      return 0;
    }
    Command c = command(name, out, err);
    if (c == null) {
      return badArgument(err, null, "Unknown command '" + name + "' (serve, count, send or help)");
    }
    main.addGlobal(c.args(), false);
    try {
      parsed = c.args().parse(rest, 1, false);
    } catch (Args.BadArgument e) {
      return badArgument(err, name, e.getMessage());
    }
    if (parsed.version()) {
      out.println("udsink " + VERSION);
      return 0;
    }
    if (parsed.help()) {
      c.args().usage(out, "udsink " + name + " [OPTIONS]", List.of());
      return 0;
    }
    try {
      Logging.configure(main.logLevel, main.logFormat);
    } catch (IllegalArgumentException e) {
      return badArgument(
          err,
          name,
          "--log-level " + main.logLevel + ": expected error, warn, info, debug or trace");
    }
    if (!name.equals("send")) {
      try {
        Native.check(); // the receive path has no other route: say so now, not at a datagram
      } catch (NativeUnavailableException e) {
        err.println("udsink " + name + ": " + e.getMessage());
        return EXIT_USAGE;
      }
    }
    try {
      return c.run().call();
    } catch (UsageException e) {
      err.println("udsink " + name + ": " + e.getMessage());
      err.println("Try 'udsink " + name + " --help' for more information.");
      return EXIT_USAGE;
    } catch (UdsinkException e) {
      err.println("udsink " + name + ": " + e.getMessage());
      return EXIT_FAILURE;
    } catch (Exception e) {
      err.println("udsink " + name + ": unexpected error: " + e);
      e.printStackTrace(err);
      return EXIT_FAILURE;
    }
  }

  /**
   * Entry point.
   *
   * @param args command line arguments
   */
  public static void main(String[] args) {
    System.exit(execute(System.out, System.err, args));
  }
}
