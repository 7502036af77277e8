package io.udsink.collector.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * udsink's command-line grammar: the options of one command, their parsing and their help.
 *
 * <p>An option is {@code --name value} or {@code --name=value}; a flag is {@code --name}; a
 * switch is a flag that also takes {@code =true}, {@code =false} or a following {@code true} or
 * {@code false}. A list option may be repeated; any other option given twice is refused. A
 * default is parsed like a given value, before the arguments, so it goes through the same checks.
 * Everything is plain code: no reflection, no annotation, no class loaded that the command does
 * not use, which keeps the time from exec to a bound socket short.
 */
final class Args {
  /** A bad argument: the message names it. */
  static final class BadArgument extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadArgument(String message) {
      super(message);
    }
  }

  private enum Kind {
    FLAG,
    VALUE,
    LIST,
    SWITCH
  }

  private record Option(
      List<String> names,
      String label,
      String help,
      String defaultValue,
      Kind kind,
      boolean hidden,
      Consumer<String> set) {}

  private final String name;
  private final String description;
  private final List<Option> options = new ArrayList<>();
  private final Map<String, Option> byName = new HashMap<>();

  /**
   * A command's grammar.
   *
   * @param name the command ({@code serve}), or {@code udsink} for the top level
   * @param description what it does, in parts joined by spaces (its help wraps it)
   */
  Args(String name, String... description) {
    this.name = name;
    this.description = String.join(" ", description);
  }

  String name() {
    return name;
  }

  /** The first sentence of the description, for the list of commands. */
  String summary() {
    int end = description.indexOf(". ");
    return end < 0 ? description : description.substring(0, end + 1);
  }

  private Args add(Option o) {
    for (String n : o.names) {
      if (byName.put(n, o) != null) {
        throw new IllegalStateException("option " + n + " declared twice");
      }
    }
    options.add(o);
    return this;
  }

  /** An option with a value; {@code ${DEFAULT-VALUE}} in the help is replaced by the default. */
  Args value(String names, String label, String defaultValue, String help, Consumer<String> set) {
    return add(
        new Option(List.of(names.split(" ")), label, help, defaultValue, Kind.VALUE, false, set));
  }

  /** A repeatable option; each value goes to {@code add}. */
  Args list(String names, String label, String help, Consumer<String> add) {
    return add(new Option(List.of(names.split(" ")), label, help, null, Kind.LIST, false, add));
  }

  /** A flag without a value. */
  Args flag(String names, String help, Runnable set) {
    return add(
        new Option(List.of(names.split(" ")), null, help, null, Kind.FLAG, false, v -> set.run()));
  }

  /** A flag left out of the help (another spelling of a documented one). */
  Args hiddenFlag(String names, Runnable set) {
    return add(
        new Option(List.of(names.split(" ")), null, "", null, Kind.FLAG, true, v -> set.run()));
  }

  /** A boolean: {@code --name} alone is true; {@code --name=false} or {@code --name false}. */
  Args bool(String names, boolean defaultValue, String help, Consumer<Boolean> set) {
    return add(
        new Option(
            List.of(names.split(" ")),
            null,
            help,
            Boolean.toString(defaultValue),
            Kind.SWITCH,
            false,
            v -> set.accept(parseBoolean(v))));
  }

  private static boolean parseBoolean(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("'" + v + "' is not true or false");
    };
  }

  /** What a parse found besides the options it set. */
  record Parsed(boolean help, boolean version, List<String> rest) {}

  /**
   * Sets the defaults, then the options given, from {@code args[from]} on.
   *
   * @param args the arguments
   * @param from the first to read
   * @param stopAtWord stop at the first argument that is not an option (the top level: the
   *     command's name), returning it and what follows as {@link Parsed#rest()}
   * @return whether help or the version was asked for, and the rest
   * @throws BadArgument naming an unknown option, a missing or bad value, or an extra argument
   */
  Parsed parse(String[] args, int from, boolean stopAtWord) {
    for (Option o : options) {
      if (o.defaultValue != null) {
        convert(o, o.names.get(0), o.defaultValue);
      }
    }
    Set<Option> seen = new HashSet<>();
    boolean help = false;
    boolean version = false;
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("--help")) {
        help = true;
        continue;
      }
      if (a.equals("-V") || a.equals("--version")) {
        version = true;
        continue;
      }
      if (!a.startsWith("-") || a.equals("-")) {
        if (stopAtWord) {
          return new Parsed(help, version, List.of(args).subList(i, args.length));
        }
        throw new BadArgument("Unexpected argument '" + a + "'");
      }
      int eq = a.indexOf('=');
      String n = eq < 0 ? a : a.substring(0, eq);
      Option o = byName.get(n);
      if (o == null) {
        throw new BadArgument("Unknown option: '" + n + "'");
      }
      if (o.kind != Kind.LIST && !seen.add(o)) {
        throw new BadArgument("option '" + n + "' should be given only once");
      }
      String v;
      switch (o.kind) {
        case FLAG -> {
          if (eq >= 0) {
            throw new BadArgument("option '" + n + "' takes no value, was given '" + a + "'");
          }
          v = "";
        }
        case SWITCH -> {
          if (eq >= 0) {
            v = a.substring(eq + 1);
          } else if (i + 1 < args.length
              && (args[i + 1].equalsIgnoreCase("true") || args[i + 1].equalsIgnoreCase("false"))) {
            v = args[++i];
          } else {
            v = "true";
          }
        }
        default -> {
          if (eq >= 0) {
            v = a.substring(eq + 1);
          } else if (i + 1 < args.length) {
            v = args[++i];
          } else {
            throw new BadArgument(
                "Missing required parameter for option '" + n + "' (" + o.label + ")");
          }
        }
      }
      convert(o, n, v);
    }
    return new Parsed(help, version, List.of());
  }

  private static void convert(Option o, String spelled, String v) {
    try {
      o.set.accept(v);
    } catch (BadArgument e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BadArgument("Invalid value for option '" + spelled + "': " + describe(e, v));
    }
  }

  private static String describe(RuntimeException e, String v) {
    if (e instanceof NumberFormatException) {
      return "'" + v + "' is not a number";
    }
    return e.getMessage();
  }

  /** Parses a whole number: {@code Integer.parseInt}'s grammar, with a message naming it. */
  static int integer(String v) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + v + "' is not a whole number");
    }
  }

  /** As {@link #integer}, for a {@code long}. */
  static long longInteger(String v) {
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + v + "' is not a whole number");
    }
  }

  /** Parses a decimal number. */
  static double decimal(String v) {
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + v + "' is not a number");
    }
  }

  private static final int WIDTH = 100;

  /**
   * Prints the usage: a line of synopsis, the description, each option with its help.
   *
   * @param out where to
   * @param usage the synopsis after {@code Usage: }
   * @param commands for the top level: the commands, else empty
   */
  void usage(PrintStream out, String usage, List<Args> commands) {
    StringBuilder b = new StringBuilder("Usage: ").append(usage).append('\n');
    wrap(b, description, "");
    if (!commands.isEmpty()) {
      b.append("\nCommands:\n");
      for (Args c : commands) {
        b.append("  ").append(c.name).append('\n');
        wrap(b, c.summary(), "      ");
      }
    }
    b.append("\nOptions:\n");
    for (Option o : options) {
      if (o.hidden) {
        continue;
      }
      b.append("  ").append(String.join(", ", o.names));
      if (o.label != null) {
        b.append(' ').append(o.label);
      } else if (o.kind == Kind.SWITCH) {
        b.append("[=true|false]");
      }
      b.append('\n');
      String help =
          o.defaultValue == null ? o.help : o.help.replace("${DEFAULT-VALUE}", o.defaultValue);
      wrap(b, help, "      ");
    }
    b.append("  -h, --help\n      Show this help and exit.\n");
    b.append("  -V, --version\n      Print udsink's version and exit.\n");
    out.print(b);
    out.flush();
  }

  private static void wrap(StringBuilder b, String text, String indent) {
    b.append(indent);
    int col = indent.length();
    for (String w : text.split(" ")) {
      if (w.isEmpty()) {
        continue;
      }
      if (col > indent.length() && col + 1 + w.length() > WIDTH - 2) {
        b.append('\n').append(indent);
        col = indent.length();
      } else if (col > indent.length()) {
        b.append(' ');
        col++;
      }
      b.append(w);
      col += w.length();
    }
    b.append('\n');
  }
}
