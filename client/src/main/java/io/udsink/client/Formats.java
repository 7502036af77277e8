package io.udsink.client;

import java.nio.charset.StandardCharsets;

/** DogStatsD's event and service check lines. */
final class Formats {
  private Formats() {}

  /** {@code _e{title length,text length}:title|text|d:..|h:..|k:..|p:..|s:..|t:..|#tags}. */
  static void event(LineFormatter f, Event e, byte[] constantTags) {
    byte[] title = escapeNewlines(e.title()).getBytes(StandardCharsets.UTF_8);
    byte[] text = escapeNewlines(e.text()).getBytes(StandardCharsets.UTF_8);
    f.put("_e{" + title.length + "," + text.length + "}:", LineFormatter.RAW);
    f.put(title);
    f.put((byte) '|');
    f.put(text);
    field(f, "|d:", e.timestampSeconds() == null ? null : e.timestampSeconds().toString());
    field(f, "|h:", e.hostname());
    field(f, "|k:", e.aggregationKey());
    field(f, "|p:", e.priority());
    field(f, "|s:", e.sourceType());
    field(f, "|t:", e.alertType());
    f.putTags(constantTags, e.tags().toArray(new String[0]));
  }

  /** {@code _sc|name|status|d:..|h:..|#tags[origin]|m:message} (the message comes last). */
  static void serviceCheck(LineFormatter f, ServiceCheck c, byte[] constantTags, byte[] origin) {
    f.put("_sc|", LineFormatter.RAW);
    f.put(c.name(), LineFormatter.NAME);
    f.put((byte) '|');
    f.put((byte) ('0' + c.status().ordinal()));
    field(f, "|d:", c.timestampSeconds() == null ? null : c.timestampSeconds().toString());
    field(f, "|h:", c.hostname());
    f.putTags(constantTags, c.tags().toArray(new String[0]));
    f.put(origin);
    if (c.message() != null) {
      f.put("|m:", LineFormatter.RAW);
      f.put(escapeNewlines(c.message()), LineFormatter.RAW);
    }
  }

  private static void field(LineFormatter f, String key, String value) {
    if (value != null) {
      f.put(key, LineFormatter.RAW);
      f.put(value, LineFormatter.TAG);
    }
  }

  private static String escapeNewlines(String s) {
    return s.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n");
  }
}
