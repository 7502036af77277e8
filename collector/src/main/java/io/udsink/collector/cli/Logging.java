package io.udsink.collector.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.Encoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

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
    Level level = Level.toLevel(levelName.toUpperCase(Locale.ROOT), null);
    if (level == null) {
      throw new IllegalArgumentException("unknown log level " + levelName);
    }
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    Encoder<ILoggingEvent> encoder;
    if (format == Format.JSON) {
      LogstashEncoder json = new LogstashEncoder();
      json.setContext(ctx);
      json.start();
      encoder = json;
    } else {
      @SuppressWarnings("unchecked")
      Map<String, String> rules =
          (Map<String, String>) ctx.getObject(CoreConstants.PATTERN_RULE_REGISTRY);
      if (rules == null) {
        rules = new HashMap<>();
        ctx.putObject(CoreConstants.PATTERN_RULE_REGISTRY, rules);
      }
      rules.put("priority", JournalPriority.class.getName());
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setContext(ctx);
      text.setPattern(
          underJournal()
              ? "%priority%-5level [%thread] %logger{0}: %msg%n"
              : "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0}: %msg%n");
      text.start();
      encoder = text;
    }
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(ctx);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    root.addAppender(appender);
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

  /** The syslog priority prefix the journal reads: {@code <3>} error ... {@code <7>} debug. */
  public static final class JournalPriority extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      switch (event.getLevel().toInt()) {
        case Level.ERROR_INT:
          return "<3>";
        case Level.WARN_INT:
          return "<4>";
        case Level.INFO_INT:
          return "<6>";
        default:
          return "<7>";
      }
    }
  }
}
