package io.udsink.collector.cli;

import io.udsink.collector.log.Log;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.event.Level;

/**
 * Where log lines go and what they look like: standard error, one line per event.
 *
 * <ul>
 *   <li>{@code text}: {@code 2026-11-22T15:04:05.123+00:00 INFO  [thread] Logger: message};</li>
 *   <li>{@code json}: one JSON object per line ({@code @timestamp} in ISO-8601, {@code level},
 *       {@code logger_name}, {@code thread_name}, {@code message}, {@code stack_trace}), the
 *       Logstash layout that Loki, Elastic and journald's JSON tools read;</li>
 *   <li>under systemd (standard error is the stream {@code JOURNAL_STREAM} names), text lines carry
 *       no timestamp of their own (the journal adds one) and start with the syslog priority
 *       ({@code <3>} for errors ... {@code <7>} for debug), which the journal turns into the
 *       entry's priority.</li>
 * </ul>
 */
final class Logging {
  /** The log formats. */
  enum Format {
    TEXT,
    JSON;

    /** {@code text} or {@code json}, in any case. */
    static Format parse(String v) {
      return switch (v.toLowerCase(Locale.ROOT)) {
        case "text" -> TEXT;
        case "json" -> JSON;
        default -> throw new IllegalArgumentException("'" + v + "' is not text or json");
      };
    }
  }

  private Logging() {}

  static void configure(String levelName, Format format) {
    Level level = Log.level(levelName);
    if (level == null) {
      throw new IllegalArgumentException("unknown log level " + levelName);
    }
    Log.configure(
        level,
        format == Format.JSON
            ? Log.Layout.JSON
            : underJournal() ? Log.Layout.JOURNAL : Log.Layout.TEXT);
  }

  /** True when standard error is the journal stream systemd names in {@code JOURNAL_STREAM}. */
  static boolean underJournal() {
    String stream = System.getenv("JOURNAL_STREAM");
    if (stream == null || stream.isBlank()) {
      return false;
    }
    try {
      io.udsink.collector.sys.Fs.Stat a =
          io.udsink.collector.sys.Fs.stat(Path.of("/proc/self/fd/2"));
      return stream.trim().equals(a.deviceNumber() + ":" + a.inode());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
