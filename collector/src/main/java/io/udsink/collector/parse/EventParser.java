package io.udsink.collector.parse;

import java.util.ArrayList;
import java.util.List;

/**
 * DogStatsD events and service checks, which allocate (they are rare):
 *
 * <pre>
 *   _e{&lt;title length&gt;,&lt;text length&gt;}:title|text|d:..|h:..|k:..|p:..|s:..|t:..|#tags
 *   _sc|name|status|d:..|h:..|#tags|m:message
 * </pre>
 */
final class EventParser {
  private final MetricSink sink;
  private final ParseErrorListener errors;

  EventParser(MetricSink sink, ParseErrorListener errors) {
    this.sink = sink;
    this.errors = errors;
  }

  /** True when the line {@code b[s, e)} is an event or a service check, which it then parsed. */
  boolean parse(byte[] b, int s, int e) {
    if (b[s] != '_' || e - s <= 3) {
      return false;
    }
    if (b[s + 1] == 'e' && b[s + 2] == '{') {
      event(b, s, e);
      return true;
    }
    if (b[s + 1] == 's' && b[s + 2] == 'c' && b[s + 3] == '|') {
      serviceCheck(b, s, e);
      return true;
    }
    return false;
  }

  private void event(byte[] b, int s, int e) {
    if (!Utf8.isValid(b, s, e)) {
      errors.onParseError(ParseError.INVALID_UTF8, b, s, e);
      return;
    }
    int comma = Bytes.indexOf(b, (byte) ',', s + 3, e);
    int close = Bytes.indexOf(b, (byte) '}', s + 3, e);
    if (comma < 0 || close < 0 || comma > close || close + 1 >= e || b[close + 1] != ':') {
      errors.onParseError(ParseError.BAD_EVENT, b, s, e);
      return;
    }
    long titleLen = Bytes.parseLength(b, s + 3, comma);
    long textLen = Bytes.parseLength(b, comma + 1, close);
    int titleStart = close + 2;
    if (titleLen <= 0
        || textLen < 0
        || titleStart + titleLen + 1 + textLen > e
        || b[(int) (titleStart + titleLen)] != '|') {
      errors.onParseError(ParseError.BAD_EVENT, b, s, e);
      return;
    }
    int textStart = (int) (titleStart + titleLen + 1);
    int textEnd = (int) (textStart + textLen);
    if (textEnd < e && b[textEnd] != '|') {
      errors.onParseError(ParseError.BAD_EVENT, b, s, e);
      return;
    }
    String title = Bytes.str(b, titleStart, textStart - 1).replace("\\n", "\n");
    String text = Bytes.str(b, textStart, textEnd).replace("\\n", "\n");
    Long timestamp = null;
    String host = null;
    String key = null;
    String priority = null;
    String source = null;
    String alert = null;
    List<String> tags = new ArrayList<>();
    for (int fs = textEnd + 1, fe; fs <= e; fs = fe + 1) {
      fe = Bytes.fieldEnd(b, fs, e);
      if (fe - fs >= 1 && b[fs] == '#') {
        Tags.add(b, fs + 1, fe, tags);
      } else if (fe - fs >= 2 && b[fs + 1] == ':') {
        String v = Bytes.str(b, fs + 2, fe);
        switch (b[fs]) {
          case 'd' -> {
            timestamp = timestamp(v);
            if (timestamp == null) {
              errors.onParseError(ParseError.BAD_EVENT, b, s, e);
              return;
            }
          }
          case 'h' -> host = v;
          case 'k' -> key = v;
          case 'p' -> priority = v;
          case 's' -> source = v;
          case 't' -> alert = v;
          default -> {}
        }
      }
    }
    sink.event(
        new Event(
            title, text, timestamp, host, key, priority, source, alert, Tags.sortedDistinct(tags)));
  }

  private void serviceCheck(byte[] b, int s, int e) {
    if (!Utf8.isValid(b, s, e)) {
      errors.onParseError(ParseError.INVALID_UTF8, b, s, e);
      return;
    }
    int nameStart = s + 4;
    int nameEnd = Bytes.indexOf(b, (byte) '|', nameStart, e);
    if (nameEnd <= nameStart) {
      errors.onParseError(ParseError.BAD_SERVICE_CHECK, b, s, e);
      return;
    }
    int statusEnd = Bytes.fieldEnd(b, nameEnd + 1, e);
    if (statusEnd - nameEnd != 2 || b[nameEnd + 1] < '0' || b[nameEnd + 1] > '3') {
      errors.onParseError(ParseError.BAD_SERVICE_CHECK, b, s, e);
      return;
    }
    int status = b[nameEnd + 1] - '0';
    Long timestamp = null;
    String host = null;
    String message = null;
    List<String> tags = new ArrayList<>();
    for (int fs = statusEnd + 1, fe; fs <= e; fs = fe + 1) {
      if (e - fs >= 2 && b[fs] == 'm' && b[fs + 1] == ':') {
        message = Bytes.str(b, fs + 2, e).replace("\\n", "\n"); // the message runs to the end
        break;
      }
      fe = Bytes.fieldEnd(b, fs, e);
      if (fe - fs >= 1 && b[fs] == '#') {
        Tags.add(b, fs + 1, fe, tags);
      } else if (fe - fs >= 2 && b[fs + 1] == ':') {
        String v = Bytes.str(b, fs + 2, fe);
        if (b[fs] == 'd') {
          timestamp = timestamp(v);
          if (timestamp == null) {
            errors.onParseError(ParseError.BAD_SERVICE_CHECK, b, s, e);
            return;
          }
        } else if (b[fs] == 'h') {
          host = v;
        }
      }
    }
    sink.serviceCheck(
        new ServiceCheck(
            Bytes.str(b, nameStart, nameEnd),
            status,
            timestamp,
            host,
            Tags.sortedDistinct(tags),
            message));
  }

  private static Long timestamp(String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
