package io.udsink.collector.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.slf4j.event.Level;

/**
 * Where log lines go and what they look like: standard error, one line per event, written whole.
 *
 * <ul>
 *   <li>{@code TEXT}: {@code 2026-11-22T15:04:05.123+00:00 INFO  [thread] Logger: message};</li>
 *   <li>{@code JOURNAL}: the same without the time (the journal adds one), starting with the
 *       syslog priority ({@code <3>} for errors ... {@code <7>} for debug), which the journal
 *       turns into the entry's priority;</li>
 *   <li>{@code JSON}: one object per line in the Logstash layout ({@code @timestamp},
 *       {@code @version}, {@code message}, {@code logger_name}, {@code thread_name},
 *       {@code level}, {@code level_value}, {@code stack_trace}), which Loki, Elastic and
 *       journald's JSON tools read.</li>
 * </ul>
 *
 * Written for udsink instead of a general logging library: a start then loads a handful of
 * classes and no configuration file.
 */
public final class Log {
  /** The layouts. */
  public enum Layout {
    /** Time, level, thread, logger, message. */
    TEXT,
    /** Priority prefix, level, thread, logger, message. */
    JOURNAL,
    /** A Logstash JSON object. */
    JSON
  }

  private static volatile int threshold = initialLevel().toInt();
  private static volatile Layout layout = Layout.TEXT;

  private Log() {}

  /** INFO, or the level the system property {@code udsink.log.level} names (the tests: warn). */
  private static Level initialLevel() {
    Level l = level(System.getProperty("udsink.log.level", "info"));
    return l == null ? Level.INFO : l;
  }

  /**
   * The level a name means.
   *
   * @param name error, warn, info, debug or trace, in any case
   * @return the level, or null for another name
   */
  public static Level level(String name) {
    for (Level l : Level.values()) {
      if (l.name().equalsIgnoreCase(name)) {
        return l;
      }
    }
    return null;
  }

  /**
   * Sets the level and the layout of every line from now on.
   *
   * @param level the least important level written
   * @param how the layout
   */
  public static void configure(Level level, Layout how) {
    threshold = level.toInt();
    layout = how;
  }

  static boolean enabled(Level level) {
    return level.toInt() >= threshold;
  }

  /** Formats one event and writes it to standard error in one piece. */
  static void write(Level level, String logger, String message, Throwable t) {
    System.err.print(
        line(
            layout,
            System.currentTimeMillis(),
            level,
            logger,
            Thread.currentThread().getName(),
            message,
            t));
    System.err.flush();
  }

  /** One event as a line (with its stack trace, if any) in a layout. */
  static String line(
      Layout how,
      long now,
      Level level,
      String logger,
      String thread,
      String message,
      Throwable t) {
    StringBuilder b = new StringBuilder(128 + message.length());
    switch (how) {
      case JSON -> json(b, now, level, logger, thread, message, t);
      case JOURNAL -> {
        b.append('<').append(priority(level)).append('>');
        text(b, level, logger, thread, message, t);
      }
      case TEXT -> {
        timestamp(b, now);
        b.append(' ');
        text(b, level, logger, thread, message, t);
      }
    }
    return b.toString();
  }

  private static void text(
      StringBuilder b, Level level, String logger, String thread, String message, Throwable t) {
    String name = level.name();
    b.append(name);
    for (int i = name.length(); i < 5; i++) {
      b.append(' ');
    }
    b.append(" [").append(thread).append("] ");
    b.append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ");
    b.append(message).append('\n');
    if (t != null) {
      b.append(stackTrace(t));
    }
  }

  private static void json(
      StringBuilder b,
      long now,
      Level level,
      String logger,
      String thread,
      String message,
      Throwable t) {
    b.append("{\"@timestamp\":\"");
    timestamp(b, now);
    b.append("\",\"@version\":\"1\",\"message\":");
    quote(b, message);
    b.append(",\"logger_name\":");
    quote(b, logger);
    b.append(",\"thread_name\":");
    quote(b, thread);
    b.append(",\"level\":\"").append(level.name()).append("\",\"level_value\":");
    b.append(level.toInt() * 1000);
    if (t != null) {
      b.append(",\"stack_trace\":");
      quote(b, stackTrace(t));
    }
    b.append("}\n");
  }

  /** The syslog priority of a level: err 3, warning 4, info 6, debug 7. */
  static int priority(Level level) {
    return switch (level) {
      case ERROR -> 3;
      case WARN -> 4;
      case INFO -> 6;
      case DEBUG, TRACE -> 7;
    };
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  /** A JSON string: quotes, backslashes and control characters escaped. */
  static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
            b.append("\\u");
            String hex = Integer.toHexString(c);
            b.append("0000", hex.length(), 4).append(hex);
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  /** ISO-8601 local time with milliseconds and the offset: 2026-11-22T15:04:05.123+01:00. */
  static void timestamp(StringBuilder b, long epochMs) {
    Instant at = Instant.ofEpochMilli(epochMs);
    ZoneOffset offset = ZoneId.systemDefault().getRules().getOffset(at);
    LocalDateTime t =
        LocalDateTime.ofEpochSecond(
            Math.floorDiv(epochMs, 1000), (int) Math.floorMod(epochMs, 1000) * 1_000_000, offset);
    b.append(t.getYear()).append('-');
    two(b, t.getMonthValue()).append('-');
    two(b, t.getDayOfMonth()).append('T');
    two(b, t.getHour()).append(':');
    two(b, t.getMinute()).append(':');
    two(b, t.getSecond()).append('.');
    int ms = t.getNano() / 1_000_000;
    b.append((char) ('0' + ms / 100))
        .append((char) ('0' + ms / 10 % 10))
        .append((char) ('0' + ms % 10));
    int secs = offset.getTotalSeconds();
    if (secs == 0) {
      b.append('Z');
      return;
    }
    b.append(secs < 0 ? '-' : '+');
    secs = Math.abs(secs);
    two(b, secs / 3600).append(':');
    two(b, secs / 60 % 60);
  }

  private static StringBuilder two(StringBuilder b, int v) {
    return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }
}
