package io.udsink.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * scripts/jvm-options, which both launchers run: the heap follows --max-series, whatever the
 * command line holds, and a user's choice of collector replaces udsink's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JvmOptionsTest {
  private static final Path SCRIPT =
      Path.of(System.getProperty("user.dir")).resolveSibling("scripts/jvm-options");

  private static List<String> options(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("sh", SCRIPT.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("UDSINK_JAVA_OPTS");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return List.of(out.split("\\s+"));
  }

  private static long heapMib(String... args) throws Exception {
    return options(Map.of(), args).stream()
        .filter(o -> o.startsWith("-Xmx"))
        .map(o -> Long.parseLong(o.substring(4, o.length() - 1)))
        .findFirst()
        .orElseThrow();
  }

  private static long hostMib() throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (l.startsWith("MemTotal:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new AssertionError("no MemTotal");
  }

  @Test
  void shouldSizeTheHeapFromMaxSeriesWhereverItIsGiven() throws Exception {
    assertEquals(64 + 391, heapMib("serve"));
    assertEquals(64 + 4, heapMib("serve", "--max-series", "1000"));
    assertEquals(64 + 8, heapMib("serve", "--socket", "/tmp/x", "--max-series=2000"));
    assertEquals(64 + 1, heapMib("serve", "--max-series", "1"));
    assertEquals(64 + 4, heapMib("--log-level", "debug", "serve", "--max-series", "1000"));
  }

  @Test
  void shouldGiveOtherCommandsTheBaseHeapWhateverTheirArgumentsSay() throws Exception {
    assertEquals(64, heapMib());
    assertEquals(64, heapMib("send", "--line", "serve", "--max-series", "100000000"));
    assertEquals(64, heapMib("count", "--socket", "serve"));
    assertEquals(64, heapMib("--log-format", "serve", "count"));
  }

  /** The worst values: words, signs, overflowing numbers; the command then names the bad flag. */
  @Test
  void shouldNeverExceedTheHostNorFailOnABadValue() throws Exception {
    long host = hostMib();
    assertTrue(heapMib("serve", "--max-series", "99999999999999999999") <= host);
    assertTrue(heapMib("serve", "--max-series", "999999999") <= host);
    for (String bad : new String[] {"x", "-5", "1e9", "", "0x10", "12 34", "$(reboot)"}) {
      assertEquals(64, heapMib("serve", "--max-series", bad), bad);
    }
  }

  @Test
  void shouldLeaveTheCollectorToAUserWhoChoseOne() throws Exception {
    List<String> own = options(Map.of(), "serve");
    assertTrue(own.contains("-XX:+UseSerialGC"), own.toString());
    List<String> user = options(Map.of("UDSINK_JAVA_OPTS", "-Xmx1g -XX:+UseG1GC"), "serve");
    assertFalse(user.contains("-XX:+UseSerialGC"), user.toString());
    assertTrue(user.contains("-Xmx455m"), "the user's -Xmx comes later and wins: " + user);
  }
}
