package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArgsTest {
  /** A command with one option of each kind, recording what it was given. */
  static final class Sample {
    String value;
    int number;
    final List<String> list = new ArrayList<>();
    boolean flag;
    boolean hidden;
    boolean sw;

    Args args() {
      return new Args("sample", "Does one thing. Then another.")
          .value("--value -v2", "V", "dflt", "A value (default: ${DEFAULT-VALUE}).", v -> value = v)
          .value("--number", "N", "7", "A number.", v -> number = Args.integer(v))
          .list("--item", "X", "Repeatable.", list::add)
          .flag("--flag", "A flag.", () -> flag = true)
          .hiddenFlag("--no-secret", () -> hidden = true)
          .bool("--switch", true, "A switch (default: ${DEFAULT-VALUE}).", b -> sw = b);
    }
  }

  private static Sample parse(String... args) {
    Sample s = new Sample();
    s.args().parse(args, 0, false);
    return s;
  }

  private static String message(String... args) {
    return assertThrows(Args.BadArgument.class, () -> parse(args)).getMessage();
  }

  @Test
  void shouldSetDefaultsThenWhatIsGivenInEitherSpelling() {
    Sample d = parse();
    assertEquals("dflt", d.value);
    assertEquals(7, d.number);
    assertTrue(d.sw);
    assertFalse(d.flag);
    Sample s =
        parse("--value", "a", "--number=12", "--item", "x", "--item=y", "--flag", "--switch=false");
    assertEquals("a", s.value);
    assertEquals(12, s.number);
    assertEquals(List.of("x", "y"), s.list);
    assertTrue(s.flag);
    assertFalse(s.sw);
    assertEquals("b", parse("-v2", "b").value, "another name of the same option");
    assertEquals("-", parse("--value", "-").value, "a value may be '-'");
    assertEquals("-1s", parse("--value", "-1s").value, "a value is taken whatever it starts with");
    assertEquals("x=y", parse("--value=x=y").value, "only the first '=' separates");
    assertFalse(parse("--switch", "false").sw, "a switch takes a following true or false");
    assertTrue(parse("--switch", "--flag").sw);
    assertTrue(parse("--no-secret").hidden);
  }

  @Test
  void shouldNameEachBadArgument() {
    assertEquals("Unknown option: '--nope'", message("--nope"));
    assertEquals("Unknown option: '--nope'", message("--nope=1"));
    assertEquals("Unexpected argument 'word'", message("word"));
    assertEquals("Missing required parameter for option '--value' (V)", message("--value"));
    assertEquals(
        "Invalid value for option '--number': 'ten' is not a whole number",
        message("--number", "ten"));
    assertEquals(
        "Invalid value for option '--switch': 'maybe' is not true or false",
        message("--switch=maybe"));
    assertEquals("option '-v2' should be given only once", message("--value=a", "-v2", "b"));
    assertTrue(message("--flag=yes").contains("takes no value"));
  }

  @Test
  void shouldStopAtTheCommandNameAtTheTopLevel() {
    Sample s = new Sample();
    Args.Parsed p = s.args().parse(new String[] {"--value", "a", "serve", "--x"}, 0, true);
    assertEquals(List.of("serve", "--x"), p.rest());
    assertEquals("a", s.value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-h", "--help", "-V", "--version"})
  void shouldReportHelpAndVersionWherever(String a) {
    Args.Parsed p = new Sample().args().parse(new String[] {"--flag", a}, 0, false);
    assertEquals(a.contains("h"), p.help());
    assertEquals(!a.contains("h"), p.version());
  }

  @Test
  void shouldPrintEveryShownOptionWithItsDefaultWrapped() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    new Sample()
        .args()
        .usage(new PrintStream(b, true, StandardCharsets.UTF_8), "udsink sample", List.of());
    String help = b.toString(StandardCharsets.UTF_8);
    assertTrue(help.startsWith("Usage: udsink sample\nDoes one thing. Then another.\n"), help);
    assertTrue(help.contains("  --value, -v2 V\n      A value (default: dflt).\n"), help);
    assertTrue(help.contains("--switch[=true|false]\n      A switch (default: true)."), help);
    assertFalse(help.contains("secret"), "a hidden option stays hidden: " + help);
    for (String line : help.split("\n")) {
      assertTrue(line.length() <= 100, "wrapped: " + line);
    }
  }

  /**
   * Random argument lists, from fixed seeds, of option names, values and junk: a parse ends in
   * the options set or in a {@link Args.BadArgument}, never in another exception.
   */
  @Test
  void shouldEndEveryRandomArgumentListInAResultOrANamedError() {
    String[] pieces = {
      "--value",
      "--value=",
      "-v2",
      "--number",
      "--number=",
      "--item",
      "--flag",
      "--switch",
      "--switch=",
      "--no-secret",
      "--",
      "-",
      "",
      "=",
      "true",
      "FALSE",
      "12",
      "-3",
      "2147483648",
      "x",
      "\u00e9\u0000",
      "--help",
      "--nope",
      "serve"
    };
    for (long seed = 1; seed <= 4; seed++) {
      Random r = new Random(seed);
      for (int n = 0; n < 5_000; n++) {
        String[] args = new String[r.nextInt(7)];
        for (int i = 0; i < args.length; i++) {
          String p = pieces[r.nextInt(pieces.length)];
          args[i] = p.endsWith("=") && r.nextBoolean() ? p + pieces[r.nextInt(pieces.length)] : p;
        }
        try {
          Sample s = parse(args);
          assertTrue(s.value != null, "a value always has at least its default");
        } catch (Args.BadArgument e) {
          assertFalse(e.getMessage().isEmpty());
        }
      }
    }
  }
}
