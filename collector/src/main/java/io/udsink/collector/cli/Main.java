package io.udsink.collector.cli;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.UsageException;
import io.udsink.collector.sys.Native;
import io.udsink.collector.sys.NativeUnavailableException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code udsink} command line: parses, dispatches, maps errors to exit codes. */
@Command(
    name = "udsink",
    mixinStandardHelpOptions = true,
    version = "udsink " + Main.VERSION,
    description = "Unix-domain datagram collector for StatsD and DogStatsD emitters.",
    subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
  /** The version of udsink. */
  public static final String VERSION = "0.1.0";

  /** Exit status for a failure reported as a clear message. */
  public static final int EXIT_FAILURE = 1;

  /** Exit status for a bad flag or argument. */
  public static final int EXIT_USAGE = 2;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      scope = ScopeType.INHERIT,
      defaultValue = "${env:UDSINK_LOG_LEVEL:-info}",
      description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
  String logLevel;

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      scope = ScopeType.INHERIT,
      defaultValue = "text",
      description =
          "text (ISO-8601 time, level, thread, logger, message; under systemd the "
              + "journal's priority prefix instead of a time) or json (one object per line) "
              + "(default: ${DEFAULT-VALUE}).")
  Logging.Format logFormat;

  private final PrintStream err;

  private Main(PrintStream err) {
    this.err = err;
  }

  /** {@code udsink} alone: the list of commands, on standard error, exit status 2. */
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(err);
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
    Main main = new Main(err);
    CommandLine cl = new CommandLine(main);
    cl.addSubcommand("serve", new ServeCommand());
    cl.addSubcommand("count", new CountCommand(out));
    cl.addSubcommand("send", new SendCommand(out, err));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setExecutionStrategy(
        parseResult -> {
          try {
            Logging.configure(main.logLevel, main.logFormat);
          } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                parseResult.commandSpec().commandLine(),
                "--log-level " + main.logLevel + ": expected error, warn, info, debug or trace");
          }
          CommandLine.ParseResult sub = parseResult.subcommand();
          if (sub != null
              && !sub.isUsageHelpRequested()
              && !sub.isVersionHelpRequested()
              && !sub.commandSpec().name().equals("send")) {
            try {
              Native.check(); // the receive path has no other route: say so now, not at a datagram
            } catch (NativeUnavailableException e) {
              err.println("udsink " + sub.commandSpec().name() + ": " + e.getMessage());
              return EXIT_USAGE;
            }
          }
          return new CommandLine.RunLast().execute(parseResult);
        });
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof UsageException) {
            err.println("udsink " + commandLine.getCommandName() + ": " + e.getMessage());
            err.println(
                "Try 'udsink "
                    + commandLine.getCommandName()
                    + " --help' for more "
                    + "information.");
            return EXIT_USAGE;
          }
          if (e instanceof UdsinkException) {
            err.println("udsink " + commandLine.getCommandName() + ": " + e.getMessage());
            return EXIT_FAILURE;
          }
          err.println("udsink " + commandLine.getCommandName() + ": unexpected error: " + e);
          e.printStackTrace(err);
          return EXIT_FAILURE;
        });
    cl.setParameterExceptionHandler(
        (e, args1) -> {
          err.println("udsink: " + e.getMessage());
          CommandLine c = e.getCommandLine();
          err.println(
              "Try 'udsink "
                  + (c.getParent() == null ? "" : c.getCommandName() + " ")
                  + "--help' for more information.");
          return EXIT_USAGE;
        });
    return cl.execute(args);
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
