package io.udsink.collector.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class LogTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long AT = 1_795_000_000_123L;

  @Test
  void shouldWriteTheTextLayout() {
    String line = Log.line(Log.Layout.TEXT, AT, Level.INFO, "io.udsink.A.B", "main", "hi", null);
    assertTrue(
        line.matches(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.123(Z|[+-]\\d\\d:\\d\\d) INFO  \\[main\\] B: hi\\n"),
        line);
    String ts = line.substring(0, line.indexOf(' '));
    assertEquals(
        AT,
        OffsetDateTime.parse(ts, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
            .toInstant()
            .toEpochMilli());
  }

  @Test
  void shouldPrefixThePriorityForTheJournal() {
    assertEquals(
        "<3>ERROR [t] X: bad\n",
        Log.line(Log.Layout.JOURNAL, AT, Level.ERROR, "X", "t", "bad", null));
    assertTrue(
        Log.line(Log.Layout.JOURNAL, AT, Level.WARN, "X", "t", "m", null).startsWith("<4>WARN  "));
    assertTrue(
        Log.line(Log.Layout.JOURNAL, AT, Level.INFO, "X", "t", "m", null).startsWith("<6>INFO  "));
    assertTrue(
        Log.line(Log.Layout.JOURNAL, AT, Level.DEBUG, "X", "t", "m", null).startsWith("<7>DEBUG "));
  }

  @Test
  void shouldWriteALogstashObjectWithTheStackTrace() throws Exception {
    String line =
        Log.line(
            Log.Layout.JSON,
            AT,
            Level.WARN,
            "io.udsink.X",
            "udsink-receiver",
            "m",
            new IllegalStateException("boom"));
    assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, line);
    JsonNode n = JSON.readTree(line);
    assertEquals("WARN", n.get("level").asText());
    assertEquals(30000, n.get("level_value").asInt());
    assertEquals("io.udsink.X", n.get("logger_name").asText());
    assertEquals("udsink-receiver", n.get("thread_name").asText());
    assertEquals("1", n.get("@version").asText());
    assertEquals(AT, OffsetDateTime.parse(n.get("@timestamp").asText()).toInstant().toEpochMilli());
    assertTrue(
        n.get("stack_trace").asText().startsWith("java.lang.IllegalStateException: boom\n\tat "));
    assertNull(
        JSON.readTree(Log.line(Log.Layout.JSON, AT, Level.INFO, "X", "t", "m", null))
            .get("stack_trace"));
  }

  /**
   * Messages, thread and logger names are whatever a sender or a file made them: random strings
   * from fixed seeds (quotes, backslashes, control characters, line separators, surrogate pairs)
   * come back from the JSON line unchanged, always on one line.
   */
  @Test
  void shouldKeepEveryStringIntactInOneJsonLine() throws Exception {
    char[] alphabet = {
      'a', '"', '\\', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', '\u00e9',
      '/', '{', '}'
    };
    for (long seed = 1; seed <= 4; seed++) {
      Random r = new Random(seed);
      for (int i = 0; i < 2_000; i++) {
        StringBuilder m = new StringBuilder();
        int len = r.nextInt(40);
        for (int k = 0; k < len; k++) {
          if (r.nextInt(10) == 0) {
            m.appendCodePoint(0x1F600 + r.nextInt(50));
          } else {
            m.append(alphabet[r.nextInt(alphabet.length)]);
          }
        }
        String s = m.toString();
        String line = Log.line(Log.Layout.JSON, AT, Level.INFO, s, s, s, null);
        assertEquals(line.length() - 1, line.indexOf('\n'), "one line: " + line);
        assertFalse(line.contains("\u2028") || line.contains("\u2029"), line);
        JsonNode n = JSON.readTree(line);
        assertEquals(s, n.get("message").asText());
        assertEquals(s, n.get("logger_name").asText());
        assertEquals(s, n.get("thread_name").asText());
      }
    }
  }

  @Test
  void shouldKnowTheLevelsByNameInAnyCase() {
    assertEquals(Level.DEBUG, Log.level("Debug"));
    assertEquals(Level.ERROR, Log.level("ERROR"));
    assertNull(Log.level("loud"));
  }

  @Test
  void shouldFormatArgumentsAndFindTheThrowableTheSlf4jWay() {
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    try {
      System.setErr(new java.io.PrintStream(b, true, java.nio.charset.StandardCharsets.UTF_8));
      var logger = new Provider().getLoggerFactory().getLogger("io.udsink.T");
      Log.configure(Level.WARN, Log.Layout.TEXT);
      assertFalse(logger.isInfoEnabled());
      assertTrue(logger.isWarnEnabled() && logger.isErrorEnabled());
      logger.info("not {}", "written");
      logger.warn("a {} b {}", 1, "x", new IllegalStateException("e"));
      Log.configure(Level.TRACE, Log.Layout.JOURNAL);
      assertTrue(logger.isTraceEnabled());
      logger.debug("d");
    } finally {
      System.setErr(saved);
      Log.configure(Level.WARN, Log.Layout.TEXT);
    }
    String out = b.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertFalse(out.contains("not written"), out);
    assertTrue(
        out.contains(" WARN  [")
            && out.contains("] T: a 1 b x\njava.lang.IllegalStateException: e\n"),
        out);
    assertTrue(out.contains("<7>DEBUG ["), out);
  }
}
