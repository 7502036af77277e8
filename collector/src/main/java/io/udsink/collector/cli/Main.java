package io.udsink.collector.cli;

import java.io.PrintStream;
import java.io.PrintWriter;

import io.udsink.collector.UdsinkException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code udsink} command line: parses, dispatches, maps errors to exit codes. */
@Command(name = "udsink", mixinStandardHelpOptions = true, version = "udsink " + Main.VERSION,
    description = "Unix-domain datagram collector for StatsD and DogStatsD emitters.",
    subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  /** The version of udsink. */
  public static final String VERSION = "0.1.0";
  /** Exit status for a failure reported as a clear message. */
  public static final int EXIT_FAILURE = 1;
  /** Exit status for a bad flag or argument. */
  public static final int EXIT_USAGE = 2;

  private final PrintStream out;

  private Main(PrintStream out) {
    this.out = out;
  }

  @Override
  public void run() {
    CommandLine.usage(this, out);
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
    CommandLine cl = new CommandLine(new Main(out));
    cl.addSubcommand("serve", new ServeCommand());
    cl.addSubcommand("count", new CountCommand(out));
    cl.addSubcommand("send", new SendCommand(out, err));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof UdsinkException) {
        err.println("udsink " + commandLine.getCommandName() + ": " + e.getMessage());
        return EXIT_FAILURE;
      }
      err.println("udsink " + commandLine.getCommandName() + ": unexpected error: " + e);
      e.printStackTrace(err);
      return EXIT_FAILURE;
    });
    cl.setParameterExceptionHandler((e, args1) -> {
      err.println("udsink: " + e.getMessage());
      CommandLine c = e.getCommandLine();
      err.println("Try 'udsink " + (c.getParent() == null ? "" : c.getCommandName() + " ")
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
