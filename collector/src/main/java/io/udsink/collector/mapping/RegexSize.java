package io.udsink.collector.mapping;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * An upper estimate of the instructions a regex compiles to, checked before it is compiled: a
 * repetition copies what it repeats, so {@code ((((a{100}){100}){100}){100})} is a hundred
 * million instructions from 24 characters, and compiling it exhausted the heap. Go's RE2, which
 * statsd_exporter uses, refuses such a regex the same way (repetition counts above 1000, and
 * programs beyond a size limit).
 *
 * <p>The estimate counts each literal, class, escape and anchor as one, a group as the sum of
 * what it holds plus one, an alternation as the sum of its branches, and a repetition
 * {@code {n}}, {@code {n,}}, {@code {n,m}} as what it repeats times {@code max(n, m) + 1}
 * ({@code *}, {@code +}, {@code ?}: times 2).
 */
final class RegexSize {
  /** Largest estimate accepted: ample for statsd_exporter's rules, far below a large heap. */
  static final long MAX = 100_000;

  /** Largest repetition count, as in RE2. */
  static final int MAX_REPEAT = 1000;

  private RegexSize() {}

  /**
   * Checks a regex.
   *
   * @param regex the pattern
   * @throws IllegalArgumentException naming the limit it exceeds
   */
  static void check(String regex) {
    long size = estimate(regex);
    if (size > MAX) {
      throw new IllegalArgumentException(
          "regex too large once compiled (about "
              + size
              + " instructions, at most "
              + MAX
              + "): repetitions multiply what they repeat");
    }
  }

  static long estimate(String re) {
    Deque<long[]> groups = new ArrayDeque<>(); // per open group: {sum, last element}
    long[] cur = {0, 0};
    int i = 0;
    while (i < re.length()) {
      char c = re.charAt(i);
      switch (c) {
        case '\\':
          i += 2;
          cur = add(cur, 1);
          continue;
        case '[':
          {
            int j = i + 1;
            if (j < re.length() && re.charAt(j) == '^') {
              j++;
            }
            if (j < re.length() && re.charAt(j) == ']') {
              j++;
            }
            while (j < re.length() && re.charAt(j) != ']') {
              j += re.charAt(j) == '\\' ? 2 : 1;
            }
            i = j + 1;
            cur = add(cur, 1);
            continue;
          }
        case '(':
          groups.push(cur);
          cur = new long[] {0, 0};
          i++;
          continue;
        case ')':
          {
            long inner = cur[0] + 1;
            cur = groups.isEmpty() ? new long[] {0, 0} : groups.pop();
            cur = add(cur, inner);
            i++;
            continue;
          }
        case '|':
          cur[1] = 0;
          cur[0] += 1;
          i++;
          continue;
        case '*':
        case '+':
        case '?':
          cur = repeat(cur, 2);
          i++;
          continue;
        case '{':
          {
            int close = re.indexOf('}', i);
            String body = close < 0 ? "" : re.substring(i + 1, close);
            if (body.matches("\\d+(,\\d*)?")) {
              String[] p = body.split(",", -1);
              long n = Long.parseLong(p[0]);
              long m = p.length > 1 && !p[1].isEmpty() ? Long.parseLong(p[1]) : n;
              if (Math.max(n, m) > MAX_REPEAT) {
                throw new IllegalArgumentException(
                    "repetition count " + Math.max(n, m) + " is above " + MAX_REPEAT);
              }
              cur = repeat(cur, Math.max(n, m) + 1);
              i = close + 1;
              continue;
            }
            cur = add(cur, 1);
            i++;
            continue;
          }
        default:
          cur = add(cur, 1);
          i++;
      }
    }
    long total = cur[0];
    while (!groups.isEmpty()) {
      total += groups.pop()[0];
    }
    return total;
  }

  private static long[] add(long[] cur, long element) {
    cur[0] = sat(cur[0] + element);
    cur[1] = element;
    return cur;
  }

  private static long[] repeat(long[] cur, long times) {
    long grown = sat(cur[1] * times);
    cur[0] = sat(cur[0] - cur[1] + grown);
    cur[1] = grown;
    return cur;
  }

  private static long sat(long v) {
    return v < 0 || v > Long.MAX_VALUE / 4 ? Long.MAX_VALUE / 4 : v;
  }
}
