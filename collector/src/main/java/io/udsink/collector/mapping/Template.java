package io.udsink.collector.mapping;

import com.google.re2j.Matcher;

/** {@code $1} and {@code ${1}} in a rule's name and label values, statsd_exporter's way. */
final class Template {
  private Template() {}

  /**
   * A glob rule's template: {@code $n} or {@code ${n}} is the n-th {@code *}'s part; a reference
   * to no capture (0, too large, or not a number) becomes nothing.
   */
  static String glob(String template, String[] captures, int count) {
    if (template.indexOf('$') < 0) {
      return template;
    }
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char ch = template.charAt(i);
      if (ch != '$') {
        sb.append(ch);
        i++;
        continue;
      }
      int j = i + 1;
      boolean brace = j < template.length() && template.charAt(j) == '{';
      if (brace) {
        j++;
      }
      int start = j;
      while (j < template.length()
          && (Character.isLetterOrDigit(template.charAt(j))
              || template.charAt(j) == '_'
              || template.charAt(j) == '$')) {
        j++;
      }
      if (start == j) {
        sb.append(ch); // a lone $
        i++;
        continue;
      }
      String ref = template.substring(start, j);
      if (j < template.length() && template.charAt(j) == '}') {
        j++;
      }
      int idx = parseIndex(ref);
      if (idx >= 1 && idx <= count) {
        sb.append(captures[idx - 1]);
      }
      i = j;
    }
    return sb.toString();
  }

  /**
   * A regex rule's template, as Go's {@code Regexp.ExpandString}: {@code $name} takes the
   * longest run of letters, digits and underscores ({@code $1x} is group {@code 1x}, not group 1
   * then {@code x}); {@code ${name}} delimits it; {@code $$} is a dollar; a group that does not
   * exist or did not take part becomes nothing.
   */
  static String regex(String template, Matcher m) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char ch = template.charAt(i);
      if (ch != '$' || i + 1 >= template.length()) {
        sb.append(ch);
        i++;
        continue;
      }
      char next = template.charAt(i + 1);
      if (next == '$') {
        sb.append('$');
        i += 2;
        continue;
      }
      String name;
      int end;
      if (next == '{') {
        int close = template.indexOf('}', i + 2);
        if (close < 0) {
          sb.append(ch);
          i++;
          continue;
        }
        name = template.substring(i + 2, close);
        end = close + 1;
      } else {
        int j = i + 1;
        while (j < template.length()
            && (Character.isLetterOrDigit(template.charAt(j)) || template.charAt(j) == '_')) {
          j++;
        }
        if (j == i + 1) {
          sb.append(ch);
          i++;
          continue;
        }
        name = template.substring(i + 1, j);
        end = j;
      }
      String value = null;
      int idx = parseIndex(name);
      if (idx >= 0 && idx <= m.groupCount()) {
        value = m.group(idx);
      } else if (idx < 0) {
        try {
          value = m.group(name);
        } catch (IllegalArgumentException e) {
          value = null; // no group of that name
        }
      }
      if (value != null) {
        sb.append(value);
      }
      i = end;
    }
    return sb.toString();
  }

  private static int parseIndex(String s) {
    if (s.isEmpty() || s.length() > 9) {
      return -1;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return -1;
      }
    }
    return Integer.parseInt(s);
  }
}
