package io.udsink.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks an exposition the way Prometheus would: with {@code promtool check metrics} (required in
 * CI, skipped with a reason elsewhere when it is missing), and with a strict reading of our own
 * that every sample belongs to exactly one family declared once.
 */
public final class Promtool {
  /** Lint findings that are about the names senders chose, not about the exposition. */
  private static final List<String> NAME_STYLE =
      List.of(
          "should be written in 'snake_case'",
          "should not contain abbreviated units",
          "use base unit",
          "should not contain \"_total\"",
          "non-counter metrics should not have \"_total\" suffix",
          "non-histogram and non-summary metrics should not have",
          "counter metrics should have \"_total\" suffix",
          "metric name should not include type");

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*=\"");

  private Promtool() {}

  /** True when promtool is on the PATH. */
  public static boolean available() {
    return onPath("promtool");
  }

  /** True when a program is on the PATH. */
  public static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, program).canExecute()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Skips the calling test outside CI when a program is missing; in CI a missing program fails.
   *
   * @param program the program
   */
  public static void requireProgram(String program) {
    if (System.getenv("CI") != null) {
      assertTrue(onPath(program), program + " is required in CI (.ci/run installs it)");
    }
    assumeTrue(
        onPath(program),
        program
            + " is not installed (apt-get install -y "
            + program
            + "); "
            + "skipped outside CI");
  }

  /**
   * Asserts that the exposition is valid.
   *
   * @param text the text format
   */
  public static void check(String text) throws IOException, InterruptedException {
    checkStructure(text);
    if (!available()) {
      if (System.getenv("CI") != null) {
        throw new AssertionError("promtool is required in CI");
      }
      return;
    }
    Process p =
        new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
    if (p.exitValue() == 0) {
      return;
    }
    List<String> problems = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank() && NAME_STYLE.stream().noneMatch(line::contains)) {
        problems.add(line);
      }
    }
    assertTrue(
        p.exitValue() == 3 && problems.isEmpty(),
        "promtool check metrics exited "
            + p.exitValue()
            + ":\n"
            + String.join("\n", problems)
            + "\n--- exposition ---\n"
            + text);
  }

  /** Every family's HELP and TYPE once; every sample under the family it belongs to; no repeat. */
  public static void checkStructure(String text) {
    Set<String> families = new HashSet<>();
    Set<String> samples = new HashSet<>();
    String family = null;
    String type = null;
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] f = line.split(" ");
        family = f[2];
        type = f[3];
        assertTrue(families.add(family), "family declared twice: " + line);
        continue;
      }
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      String[] sample = parseSample(line);
      String name = sample[0];
      assertTrue(
          family != null && belongs(name, family, type),
          "sample " + name + " is not part of family " + family + " (" + type + ")");
      assertTrue(samples.add(name + sample[1]), "sample repeated: " + line);
      double v = Double.parseDouble(sample[2].replace("+Inf", "Infinity"));
      assertEquals(v, v, "NaN value: " + line);
    }
  }

  /**
   * Splits a sample line of the text format: name, labels as written (with braces, or empty),
   * value. Fails on anything that is not one: label values may hold any character, escaped.
   */
  public static String[] parseSample(String line) {
    Matcher m = NAME.matcher(line);
    assertTrue(m.lookingAt(), "not a sample line: " + line);
    int i = m.end();
    String labels = "";
    if (i < line.length() && line.charAt(i) == '{') {
      int start = i;
      i++;
      while (line.charAt(i) != '}') {
        Matcher ln = LABEL.matcher(line).region(i, line.length());
        assertTrue(ln.lookingAt(), "bad label at " + i + ": " + line);
        i = ln.end();
        while (line.charAt(i) != '"') {
          assertTrue(line.charAt(i) != '\n', "raw newline in a label value: " + line);
          if (line.charAt(i) == '\\') {
            char e = line.charAt(i + 1);
            assertTrue(e == '\\' || e == '"' || e == 'n', "bad escape: " + line);
            i++;
          }
          i++;
        }
        i++;
        if (line.charAt(i) == ',') {
          i++;
        }
      }
      i++;
      labels = line.substring(start, i);
    }
    assertTrue(i < line.length() && line.charAt(i) == ' ', "no value: " + line);
    String[] rest = line.substring(i + 1).split(" ");
    assertTrue(rest.length <= 2, "trailing text: " + line);
    return new String[] {m.group(), labels, rest[0]};
  }

  private static boolean belongs(String sample, String family, String type) {
    String base =
        family.endsWith("_total") && type.equals("counter")
            ? family.substring(0, family.length() - 6)
            : family;
    switch (type) {
      case "counter":
        return sample.equals(base + "_total") || sample.equals(base + "_created");
      case "summary":
        return sample.equals(base)
            || sample.equals(base + "_sum")
            || sample.equals(base + "_count")
            || sample.equals(base + "_created");
      case "histogram":
        return sample.equals(base + "_bucket")
            || sample.equals(base + "_sum")
            || sample.equals(base + "_count")
            || sample.equals(base + "_created");
      default:
        return sample.equals(base);
    }
  }
}
