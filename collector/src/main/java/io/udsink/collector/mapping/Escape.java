package io.udsink.collector.mapping;

/** Metric names as statsd_exporter escapes them. */
public final class Escape {
  private Escape() {}

  /**
   * Every code point outside {@code [a-zA-Z0-9_]} becomes one {@code _} (a character beyond one
   * UTF-16 unit, such as an emoji, too), a run of dashes one {@code _}, and a name starting with
   * a digit gets a {@code _} in front.
   *
   * @param name the name
   * @return the escaped name (empty for an empty name)
   */
  public static String metricName(String name) {
    if (name.isEmpty()) {
      return name;
    }
    StringBuilder sb = new StringBuilder(name.length() + 1);
    char first = name.charAt(0);
    if (first >= '0' && first <= '9') {
      sb.append('_');
    }
    int prev = 0;
    for (int i = 0; i < name.length(); ) {
      int c = name.codePointAt(i);
      i += Character.charCount(c);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
        sb.append((char) c);
      } else if (c == '-' && prev == '-') {
        continue; // a run of dashes is one _
      } else {
        sb.append('_');
      }
      prev = c;
    }
    return sb.toString();
  }
}
